/**
 * The `FacePreparer` the runtime registers when a face model is loaded: detection and alignment
 * run in the embedding worker, off the request thread.
 */
import type { EmbeddingWorker } from './embedding-worker';
import type { FacePreparer, PreparedInput } from './embed-input';

/**
 * The face preparer over the worker: every usable face becomes one input (its raw 128-d
 * descriptor), largest first. In search, a face refused on its own (e.g. `face_too_small` next to
 * a good face) has no descriptor and is left out; an image with no usable face rejects with its
 * refusal (`no_face`, `face_too_small`, `low_score`).
 */
export function createFacePreparer(embedder: EmbeddingWorker): FacePreparer {
  return async (img, ctx) => {
    const faces = await embedder.prepareFaces(ctx.manifest.version, img, { detect: ctx.detect, purpose: ctx.purpose });
    return faces.flatMap((f): PreparedInput[] => (f.descriptor ? [{ ...(f.box ? { box: f.box } : {}), input: f.descriptor, verdicts: f.verdicts }] : []));
  };
}
