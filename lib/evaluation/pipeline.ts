/**
 * The embedding pipeline an evaluation runs: bytes -> model input -> L2-normalised embedding.
 * `object` models preprocess with the manifest's spec; `face` is plugged in by the faces issue
 * (until then it fails with `model_not_trained`).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AppError, InputError, NotReadyError } from '@/lib/errors';
import type { ModelManifest } from '@/lib/embedder/manifest';
import { mapLimit } from '@/lib/datasets/map-limit';
import { decodeImage, preprocessImage } from '@/lib/imaging';
import type { CalibrationCurve } from '@/lib/calibration';

/** Where photo models' backbone features are cached (shared with `npm run train`'s default `cacheDir`). */
const PHOTO_FEATURE_CACHE = 'runs/cache';

/** Kinds of model the service matches with. */
export type ModelKind = 'object' | 'face';

/** A reference embedding `--compare` scores beside the model, on the same prepared inputs. */
export interface Baseline {
  /** Name in the JSON, e.g. `plain-0.6`. */
  name: string;
  /** How the threshold is set, for the JSON. */
  thresholdRule: string;
  /** Its embeddings of prepared inputs, in order. */
  embed(inputs: Float32Array[]): Promise<Float32Array[]>;
  /** A fixed decision distance, or a calibration curve converted to the open-set threshold as the model's is. */
  threshold: { distance: number } | { curve: CalibrationCurve };
}

/** A loaded model plus how raw image bytes become its input. */
export interface EmbeddingPipeline {
  /** The model's manifest. */
  manifest: ModelManifest;
  /** TF.js backend in use. */
  backend: string;
  /**
   * What runs the networks: `onnx` (ONNX Runtime) or `tfjs`, per network where there are several
   * (faces). A cache key part: the runtimes agree within 1e-5, not to the bit, so embeddings cached
   * on one are not the other's (the service runs `auto`, as evaluation does).
   */
  runtime: string;
  /** Everything besides the bytes and the model version that decides `prepare`'s output (a cache key part). */
  prepareKey: string;
  /** Turns image bytes into model input; null when the pipeline refuses the image (e.g. no face found). */
  prepare(bytes: Uint8Array): Promise<Float32Array | null>;
  /** L2-normalised embeddings of prepared inputs, in order. */
  embed(inputs: Float32Array[]): Promise<Float32Array[]>;
  /** Frees the model. */
  dispose(): void;
  /** What `--compare` scores beside the model (none: `--compare` is refused). */
  baselines?: Baseline[];
}

const defaultsSchema = z.object({ object: z.string().nullable(), face: z.string().nullable() });

/** Folder of the default model of `kind`, from `<modelsDir>/defaults.json` (`models/<kind>/<version>/`). */
export async function defaultModelDir(kind: ModelKind, modelsDir = 'models'): Promise<string> {
  const file = path.join(modelsDir, 'defaults.json');
  let defaults: z.infer<typeof defaultsSchema>;
  try {
    defaults = defaultsSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch (err) {
    throw new NotReadyError('model_not_trained', `cannot read the default models from ${file} (${(err as Error).message}); train one with \`npm run train\` or pass --model <dir>`);
  }
  const version = defaults[kind];
  if (!version) {
    throw new NotReadyError('model_not_trained', `${file} names no default ${kind} model (got null); train one or pass --model <dir>`);
  }
  return path.join(modelsDir, kind, version);
}

/** Loads the object pipeline: decode, preprocess with the manifest's spec (a photo model: its backbone's cached feature), embed. */
async function loadObjectPipeline(modelDir: string): Promise<EmbeddingPipeline> {
  // Imported on use: TF.js takes seconds to load, and the protocols and their tests do not need it.
  const { initTf } = await import('@/lib/embedder/backend');
  const { loadModel } = await import('@/lib/embedder/weights');
  const { tf, backend } = await initTf('auto');
  // The service's runtime (ML_INFERENCE's default): ONNX Runtime where the model exports and it loads.
  const model = await loadModel(modelDir, { inference: 'auto' });
  const { input, backbone } = model.manifest;
  if (backbone) {
    const { loadPhotoBackbone } = await import('@/lib/embedder/photo-backbone');
    const { photoFeatures } = await import('@/lib/training/photo-features');
    const loaded = await loadPhotoBackbone(tf, backbone);
    return {
      manifest: model.manifest,
      backend,
      runtime: model.runtime,
      prepareKey: JSON.stringify([backbone.id, backbone.preprocess]),
      prepare: async (bytes) => (await photoFeatures(loaded, [bytes], { cacheDir: PHOTO_FEATURE_CACHE })).features[0],
      embed: (inputs) => model.embed(inputs),
      dispose: () => {
        loaded.dispose();
        model.dispose();
      },
    };
  }
  if (input.type !== 'image') {
    model.dispose();
    throw new InputError('invalid_model', `${modelDir}: expected an image model, got a ${input.type} model (dim ${input.dim}); it needs the face pipeline`);
  }
  return {
    manifest: model.manifest,
    backend,
    runtime: model.runtime,
    prepareKey: JSON.stringify(input.preprocess),
    prepare: async (bytes) => preprocessImage(await decodeImage(bytes), input.preprocess),
    embed: (inputs) => model.embed(inputs),
    dispose: () => model.dispose(),
  };
}

/** Factories per kind; the faces issue registers `face` with `registerPipeline`. */
const FACTORIES: Partial<Record<ModelKind, (modelDir: string) => Promise<EmbeddingPipeline>>> = {
  object: loadObjectPipeline,
};

/** Plugs in the pipeline factory of a kind (the faces issue registers `face`). */
export function registerPipeline(kind: ModelKind, factory: (modelDir: string) => Promise<EmbeddingPipeline>): void {
  FACTORIES[kind] = factory;
}

/** Loads the pipeline of `kind` for the model in `modelDir`. */
export async function loadPipeline(kind: ModelKind, modelDir: string): Promise<EmbeddingPipeline> {
  const factory = FACTORIES[kind];
  if (!factory) {
    throw new NotReadyError('model_not_trained', `no ${kind} pipeline is available yet (the faces issue adds detection and alignment); use --kind object`);
  }
  return factory(modelDir);
}

/** Error codes that mean "this image cannot be used" (decoding; the face pipeline's refusals). */
const REFUSABLE = new Set(['undecodable', 'too_many_pixels', 'unsupported_type', 'no_face', 'face_too_small', 'low_score']);

/** Prepares many images; images the pipeline refuses (undecodable, no face) are counted, not embedded. `onPrepared` hears each finished image. */
export async function prepareAll(
  pipeline: EmbeddingPipeline,
  items: readonly { bytes: Uint8Array; source: string }[],
  onPrepared?: (done: number, total: number) => void,
): Promise<{ inputs: (Float32Array | null)[]; refused: string[] }> {
  const refused: string[] = [];
  let done = 0;
  const inputs = await mapLimit(items, 8, async (item) => {
    try {
      const x = await pipeline.prepare(item.bytes);
      if (x === null) refused.push(item.source);
      return x;
    } catch (err) {
      if (!(err instanceof AppError) || !REFUSABLE.has(err.code)) throw err;
      refused.push(`${item.source} (${err.code})`);
      return null;
    } finally {
      onPrepared?.(++done, items.length);
    }
  });
  return { inputs, refused: refused.sort() };
}
