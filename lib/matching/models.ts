/** The default model of each kind, named by models/defaults.json and loaded at start. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { loadModel, type EmbeddingModel } from '@/lib/embedder/weights';
import { AppError } from '@/lib/errors';

/** Model kinds a collection can have. */
export type ModelKind = 'object' | 'face';

/** Loaded default models by kind. */
export type LoadedModels = Map<ModelKind, EmbeddingModel>;

const defaultsSchema = z.object({ object: z.string().nullable(), face: z.string().nullable() }).strict();

/** Reads models/defaults.json: the default model version of each kind (null: none yet). */
export function readDefaults(modelsDir: string): z.infer<typeof defaultsSchema> {
  const file = path.join(modelsDir, 'defaults.json');
  if (!existsSync(file)) throw new AppError('model_not_trained', `no ${file}; train a model (npm run train) or restore models/`);
  return defaultsSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** Folder of a model version: `<modelsDir>/<kind>/<version>`. */
export function modelDir(modelsDir: string, kind: ModelKind, version: string): string {
  return path.join(/*turbopackIgnore: true*/ modelsDir, kind, version);
}

/** Loads every default model named in defaults.json. */
export async function loadDefaultModels(modelsDir: string): Promise<LoadedModels> {
  const defaults = readDefaults(modelsDir);
  const loaded: LoadedModels = new Map();
  for (const kind of ['object', 'face'] as const) {
    const version = defaults[kind];
    if (version) loaded.set(kind, await loadModel(modelDir(modelsDir, kind, version)));
  }
  return loaded;
}
