/**
 * The face `EmbeddingPipeline` for `evaluate` (register it with
 * `registerPipeline('face', loadFacePipeline)`): bytes -> decode -> largest face, aligned ->
 * 128-d descriptor (`prepare`), then descriptor -> embedding (`embed`). Its `baselines` (issue 4,
 * `--compare`): the plain descriptor at face-api's customary 0.6 distance, and the plain
 * descriptor, L2-normalised, with the threshold calibrated on it.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '@/lib/errors';
import { backendInfo } from '@/lib/embedder/backend';
import { readManifest } from '@/lib/embedder/manifest';
import type { Baseline, EmbeddingPipeline } from '@/lib/evaluation/pipeline';
import { decodeImage } from '@/lib/imaging';
import type { CalibrationCurve } from '@/lib/calibration';
import { l2Normalise } from './descriptor';
import { loadFaceModel, readFaceConfig } from './model';
import { prepareFaces, type DetectMode } from './prepare';

/** face-api's (and dlib's) customary match distance on the raw 128-d descriptor. */
export const PLAIN_DESCRIPTOR_THRESHOLD = 0.6;

/**
 * Calibration of the plain descriptor: the model's own when it has no head, else the newest
 * plain model (face.json `head: null`) beside it under `models/face/`.
 */
async function plainCurve(modelDir: string, head: string | null, own: CalibrationCurve): Promise<CalibrationCurve> {
  if (head === null) return own;
  const parent = path.dirname(path.resolve(modelDir));
  for (const name of (await readdir(parent)).sort().reverse()) {
    const dir = path.join(parent, name);
    const config = await readFaceConfig(dir).catch(() => null);
    if (config?.head === null) return (await readManifest(dir)).calibration.curve;
  }
  throw new NotFoundError('model_not_found', `no plain face model (face.json head: null) in ${parent} to calibrate the plain-descriptor baseline; build one with scripts/face-cv.ts`);
}

/** Loads the face model in `modelDir` as an evaluation pipeline (detect mode default auto). */
export async function loadFacePipeline(modelDir: string, opts: { mode?: DetectMode } = {}): Promise<EmbeddingPipeline> {
  const model = await loadFaceModel(modelDir);
  const baselines: Baseline[] = [
    {
      name: 'plain-0.6',
      thresholdRule: `raw descriptor, fixed distance ${PLAIN_DESCRIPTOR_THRESHOLD}`,
      embed: async (d) => d.map((x) => Float32Array.from(x)),
      threshold: { distance: PLAIN_DESCRIPTOR_THRESHOLD },
    },
    {
      name: 'plain-calibrated',
      thresholdRule: 'L2-normalised descriptor, open-set threshold from its calibration curve',
      embed: async (d) => d.map(l2Normalise),
      threshold: { curve: await plainCurve(modelDir, model.config.head, model.manifest.calibration.curve) },
    },
  ];
  return {
    manifest: model.manifest,
    backend: backendInfo().backend,
    runtime: model.runtime,
    prepareKey: JSON.stringify({ mode: opts.mode ?? 'auto', face: model.config }),
    // Refusals throw FaceRefusedError (codes no_face, face_too_small, low_score).
    prepare: async (bytes) => {
      const [face] = await prepareFaces(await decodeImage(bytes), {
        mode: opts.mode ?? 'auto', purpose: 'enroll', detector: model.config.detector, thresholds: model.config.thresholds, models: model.models, alignment: model.config.alignment,
      });
      return face.descriptor;
    },
    embed: (descriptors) => model.embed(descriptors),
    dispose: () => model.dispose(),
    baselines,
  };
}
