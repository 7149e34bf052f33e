/**
 * A face model folder `models/face/<version>/`:
 *   manifest.json  the common `ModelManifest` (kind `face`, input `{type: 'vector', dim: 128}`: the
 *                  raw face-api descriptor), with the calibration every model has;
 *   face.json      what only faces have: the pinned face-api package and weight hashes, detector
 *                  (and the pinned BlazeFace files when it is `blazeface`),
 *                  verdict thresholds, alignment, and `head`: `"model.json"` when a trained Siamese
 *                  head maps descriptors to embeddings, or `null` for the plain descriptor
 *                  (embedding = descriptor / ||descriptor||);
 *   model.json + weights.bin  the head (TF.js layers format), only when `head` is set.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { InputError, NotFoundError } from '@/lib/errors';
import { readManifest, type ModelManifest } from '@/lib/embedder/manifest';
import { loadModel, type InferenceChoice } from '@/lib/embedder/weights';
import { FACE_WEIGHT_PINS, loadFaceModels, type FaceModels, type FaceWeightPins } from './face-api';
import { ALIGN_BOX_PADDING, DEFAULT_ALIGNMENT, DESCRIPTOR_INPUT_PX, DLIB_CHIP_PADDING, type FaceAlignment } from './align';
import { DESCRIPTOR_DIM, l2Normalise } from './descriptor';
import { DEFAULT_FACE_THRESHOLDS, type FaceThresholds } from './prepare';
import type { FaceDetector } from './detect';
import { BLAZEFACE_PINS } from './blazeface';

/** Contents of `face.json`. */
export interface FaceModelConfig {
  /** Format version. */
  format: 1;
  /** Pinned face-api package and SHA-256 of every weight file. */
  faceApi: FaceWeightPins;
  /** Default detector. */
  detector: FaceDetector;
  /** Pinned BlazeFace files (vendor/blazeface); absent in models built before BlazeFace. */
  blazeFace?: FaceWeightPins;
  /** Verdict thresholds. */
  thresholds: FaceThresholds;
  /** Alignment: descriptor input side, crop method and its padding, flip averaging. */
  alignment: FaceAlignment & { inputSizePx: number; padding: number };
  /** `"model.json"` when a trained head maps descriptors to embeddings; null = plain descriptor. */
  head: 'model.json' | null;
}

const pinsSchema = z.strictObject({ package: z.string(), version: z.string(), sha256: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)) });

const faceConfigSchema = z.strictObject({
  format: z.literal(1),
  faceApi: pinsSchema,
  detector: z.enum(['blazeface', 'tiny', 'ssd']),
  blazeFace: pinsSchema.optional(),
  thresholds: z.strictObject({
    detectMinScore: z.number(), minScore: z.number(), minFaceSizePx: z.number(), confidentScore: z.number(), wholeImageMaxSidePx: z.number(), retryPadFraction: z.number(), retryPadGrey: z.number().int(),
  }),
  alignment: z.union([
    // face.json before issue 18: the landmark box, no flip.
    z.strictObject({ inputSizePx: z.literal(DESCRIPTOR_INPUT_PX), boxPadding: z.literal(ALIGN_BOX_PADDING) })
      .transform(({ inputSizePx }) => ({ inputSizePx, method: 'box' as const, padding: ALIGN_BOX_PADDING, flip: false })),
    z.strictObject({ inputSizePx: z.literal(DESCRIPTOR_INPUT_PX), method: z.literal('box'), padding: z.literal(ALIGN_BOX_PADDING), flip: z.boolean() }),
    z.strictObject({ inputSizePx: z.literal(DESCRIPTOR_INPUT_PX), method: z.literal('dlib'), padding: z.literal(DLIB_CHIP_PADDING), flip: z.boolean() }),
  ]),
  head: z.literal('model.json').nullable(),
});

/** The `face.json` of a model built with this code and the installed, pinned face-api. */
export function defaultFaceConfig(head: FaceModelConfig['head']): FaceModelConfig {
  return {
    format: 1,
    faceApi: { ...FACE_WEIGHT_PINS, sha256: { ...FACE_WEIGHT_PINS.sha256 } },
    detector: 'blazeface',
    blazeFace: { ...BLAZEFACE_PINS, sha256: { ...BLAZEFACE_PINS.sha256 } },
    thresholds: { ...DEFAULT_FACE_THRESHOLDS },
    alignment: { inputSizePx: DESCRIPTOR_INPUT_PX, ...DEFAULT_ALIGNMENT, padding: DEFAULT_ALIGNMENT.method === 'dlib' ? DLIB_CHIP_PADDING : ALIGN_BOX_PADDING },
    head,
  };
}

/** Writes `face.json` into a model folder. */
export async function writeFaceConfig(dir: string, config: FaceModelConfig): Promise<void> {
  await writeFile(path.join(dir, 'face.json'), `${JSON.stringify(config, null, 2)}\n`);
}

/** Reads and validates `<dir>/face.json`. */
export async function readFaceConfig(dir: string): Promise<FaceModelConfig> {
  const file = path.join(dir, 'face.json');
  const text = await readFile(file, 'utf8').catch(() => {
    throw new NotFoundError('model_not_found', `no face.json in ${dir}: not a face model folder (expected models/face/<version>/ with manifest.json and face.json)`);
  });
  const parsed = faceConfigSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError('invalid_manifest', `${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data as FaceModelConfig;
}

/** A loaded face model: detection nets (pins verified) plus descriptor -> embedding. */
export interface FaceModel {
  /** The common manifest (calibration, data, version). */
  manifest: ModelManifest;
  /** face.json. */
  config: FaceModelConfig;
  /** face-api nets on the shared TF.js. */
  models: FaceModels;
  /** L2-normalised embeddings of raw 128-d descriptors (through the head when there is one). */
  embed(descriptors: Float32Array[]): Promise<Float32Array[]>;
  /** What runs each network: e.g. `blazeface onnx, landmarks onnx, descriptor onnx, head none`: the detector in use (`tfjs` where ONNX Runtime did not take it). */
  runtime: string;
  /** Frees the head. */
  dispose(): void;
}

/**
 * Loads a face model folder. Throws `face_weights_mismatch` when the installed face-api differs
 * from the pins in face.json, `invalid_manifest` when the manifest is not a 128-d vector face model.
 * `inference` picks the descriptor's and the head's runtime (default `auto`, see `loadFaceModels`).
 */
export async function loadFaceModel(dir: string, { inference = 'auto' }: { inference?: InferenceChoice } = {}): Promise<FaceModel> {
  const manifest = await readManifest(dir);
  const config = await readFaceConfig(dir);
  if (manifest.kind !== 'face' || manifest.input.type !== 'vector' || manifest.input.dim !== DESCRIPTOR_DIM) {
    throw new InputError('invalid_manifest', `${dir}: expected a face model over ${DESCRIPTOR_DIM}-d descriptors, got kind ${manifest.kind} with input ${JSON.stringify(manifest.input)}`);
  }
  const models = await loadFaceModels({ pins: config.faceApi, blazeFacePins: config.blazeFace, inference });
  const on = (session: unknown) => (session ? 'onnx' : 'tfjs');
  // face-api's tiny and SSD detectors run on TF.js only.
  const detector = config.detector === 'blazeface' ? `blazeface ${on(models.blazeFace.onnx)}` : `${config.detector} tfjs`;
  const nets = `${detector}, landmarks ${on(models.landmarksOnnx)}, descriptor ${on(models.descriptorOnnx)}`;
  if (config.head === null) {
    return { manifest, config, models, runtime: `${nets}, head none`, embed: async (d) => d.map(l2Normalise), dispose: () => {} };
  }
  const head = await loadModel(dir, { inference });
  return { manifest, config, models, runtime: `${nets}, head ${head.runtime}`, embed: (d) => head.embed(d), dispose: () => head.dispose() };
}
