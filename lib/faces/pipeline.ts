/**
 * The face `EmbeddingPipeline` for `evaluate` (register it with
 * `registerPipeline('face', loadFacePipeline)`): bytes -> decode -> largest face, aligned ->
 * 128-d descriptor (`prepare`), then descriptor -> embedding (`embed`).
 */
import { backendInfo } from '@/lib/embedder/backend';
import type { EmbeddingPipeline } from '@/lib/evaluation/pipeline';
import { decodeImage } from '@/lib/imaging';
import { loadFaceModel } from './model';
import { prepareFaces, type DetectMode } from './prepare';

/** Loads the face model in `modelDir` as an evaluation pipeline (detect mode default auto). */
export async function loadFacePipeline(modelDir: string, opts: { mode?: DetectMode } = {}): Promise<EmbeddingPipeline> {
  const model = await loadFaceModel(modelDir);
  return {
    manifest: model.manifest,
    backend: backendInfo().backend,
    // Refusals throw FaceRefusedError (codes no_face, face_too_small, low_score).
    prepare: async (bytes) => {
      const [face] = await prepareFaces(await decodeImage(bytes), {
        mode: opts.mode ?? 'auto', purpose: 'enroll', detector: model.config.detector, thresholds: model.config.thresholds, models: model.models,
      });
      return face.descriptor;
    },
    embed: (descriptors) => model.embed(descriptors),
    dispose: () => model.dispose(),
  };
}
