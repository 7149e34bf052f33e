/** The default model of each kind (and object domain), named by models/defaults.json and loaded at start. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { OpenSetTable } from '@/lib/calibration';
import { modelDomain, readManifest, type ModelDomain, type ModelManifest } from '@/lib/embedder/manifest';
import { readOpenSetTable } from '@/lib/embedder/open-set-table';
import { AppError } from '@/lib/errors';
import { readFaceConfig } from '@/lib/faces';
import type { CollectionDomain } from '@/lib/matching/contract/collections';

/** Model kinds a collection can have. */
export type ModelKind = 'object' | 'face';

/**
 * A default model as the request thread holds it: its manifest (version, dim, calibration) and
 * folder. Its weights are loaded only by the embedding worker (./embedding-worker.ts), which embeds
 * and detects faces; the request thread never runs the network.
 */
export interface ServedModel {
  manifest: ModelManifest;
  /** `<modelsDir>/<kind>/<version>`, handed to the worker. */
  dir: string;
  /** The open-set table shipped with the model (lib/embedder/open-set-table.ts), or null: thresholds then count every image. */
  openSetTable: OpenSetTable | null;
}

/**
 * A slot of models/defaults.json: `face`, and one object model per image domain (issue 19):
 * `object` serves drawings collections (its name from before photos), `photo` photos collections.
 */
export type DefaultSlot = 'face' | 'object' | 'photo';

/** The defaults.json slot whose model a new collection of `kind` (and object `domain`) gets. */
export function defaultSlot(kind: ModelKind, domain: CollectionDomain | null): DefaultSlot {
  return kind === 'face' ? 'face' : domain === 'photos' ? 'photo' : 'object';
}

/** The model domain (manifest `domain`) an object collection of `domain` is served by. */
export function modelDomainOf(domain: CollectionDomain): ModelDomain {
  return domain === 'photos' ? 'photo' : 'drawing';
}

/** The default model of each slot (models/defaults.json); every one of them is also in `LoadedModelsByVersion`. */
export type DefaultModels = Map<DefaultSlot, ServedModel>;

/** Every model the worker has loaded, by version: the defaults, and trained versions collections use. */
export type LoadedModelsByVersion = Map<string, ServedModel>;

/** Where model folders live: the bundled ones (MODELS_DIR) and those retraining wrote (DATA_DIR/models). */
export interface ModelRoots {
  /** Bundled models (`models/`), read-only. */
  bundled: string;
  /** Models trained by this instance: `DATA_DIR/models`. */
  trained: string;
}

/** The model roots of a data and models folder. */
export function modelRoots(modelsDir: string, dataDir: string): ModelRoots {
  return { bundled: modelsDir, trained: path.join(/*turbopackIgnore: true*/ dataDir, 'models') };
}

/** The folder of a model version of a kind (bundled first), or null when no such folder exists. */
export function findModelDir(roots: ModelRoots, kind: ModelKind, version: string): string | null {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(version)) return null;
  for (const root of [roots.bundled, roots.trained]) {
    const dir = modelDir(root, kind, version);
    if (existsSync(path.join(dir, 'manifest.json'))) return dir;
  }
  return null;
}

const defaultsSchema = z.object({ object: z.string().nullable(), photo: z.string().nullable().optional(), face: z.string().nullable() }).strict();

/** Reads models/defaults.json: the default model version of each slot (null or absent: none yet). */
export function readDefaults(modelsDir: string): z.infer<typeof defaultsSchema> {
  const file = path.join(modelsDir, 'defaults.json');
  if (!existsSync(file)) throw new AppError('model_not_trained', `no ${file}; train a model (npm run train) or restore models/`);
  return defaultsSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** Folder of a model version: `<modelsDir>/<kind>/<version>`. */
export function modelDir(modelsDir: string, kind: ModelKind, version: string): string {
  return path.join(/*turbopackIgnore: true*/ modelsDir, kind, version);
}

/**
 * Reads a model folder on the request thread: the manifest, its open-set table, and for faces
 * face.json, validated.
 * The face-api nets and their pinned hashes are loaded and checked by the embedding worker, whose
 * start fails with `face_weights_mismatch` or `face_weights_missing` (lib/faces `loadFaceModel`).
 */
export async function readServedModel(kind: ModelKind, dir: string): Promise<ServedModel> {
  const manifest = await readManifest(dir);
  if (kind === 'face') await readFaceConfig(dir);
  const table = await readOpenSetTable(dir, manifest);
  return { manifest, dir, openSetTable: table?.table ?? null };
}

/** Loads every default model named in defaults.json; `model_domain_mismatch` when a slot names a model of the other domain. */
export async function loadDefaultModels(modelsDir: string): Promise<DefaultModels> {
  const defaults = readDefaults(modelsDir);
  const loaded: DefaultModels = new Map();
  for (const slot of ['object', 'photo', 'face'] as const) {
    const version = defaults[slot];
    if (!version) continue;
    const kind: ModelKind = slot === 'face' ? 'face' : 'object';
    const model = await readServedModel(kind, modelDir(modelsDir, kind, version));
    const want = slot === 'photo' ? 'photo' : 'drawing';
    if (kind === 'object' && modelDomain(model.manifest) !== want) {
      throw new AppError('model_domain_mismatch', `models/defaults.json: "${slot}" names ${version}, a ${modelDomain(model.manifest)} model; that slot takes ${want} models`);
    }
    loaded.set(slot, model);
  }
  return loaded;
}
