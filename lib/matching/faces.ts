/**
 * Faces in the service: the `FacePreparer` the runtime registers when a face model is loaded
 * (detection and alignment run in the embedding worker, off the request thread), and the gallery
 * warnings of an enrolment (`near_duplicate`, `identity_outlier`), which need the identity's
 * stored embeddings.
 */
import { checkIdentityOutlier, checkNearDuplicate } from '@/lib/faces';
import { assert } from '@/lib/errors';
import type { Db } from '@/lib/db/client';
import type { EmbeddingPool } from './embedding-pool';
import type { FacePreparer, PreparedInput } from './preprocess';
import { decodeVector } from './vectors';

/**
 * The face preparer over the worker: every usable face becomes one input (its raw 128-d
 * descriptor), largest first. In search, a face refused on its own (e.g. `face_too_small` next to
 * a good face) has no descriptor and is left out; an image with no usable face rejects with its
 * refusal (`no_face`, `face_too_small`, `low_score`).
 */
export function createFacePreparer(pool: EmbeddingPool): FacePreparer {
  return async (img, ctx) => {
    const faces = await pool.prepareFaces(ctx.manifest.version, img, { detect: ctx.detect, purpose: ctx.purpose });
    return faces.flatMap((f): PreparedInput[] => (f.descriptor ? [{ ...(f.box ? { box: f.box } : {}), input: f.descriptor, verdicts: f.verdicts }] : []));
  };
}

/**
 * Appends `near_duplicate` and `identity_outlier` to the verdicts of new images of one identity,
 * judged against the identity's stored embeddings under `modelVersion` and the images before it
 * in the same request, at the collection's current match threshold `thresholdDistance`.
 */
export async function addGalleryVerdicts(
  db: Db,
  identityId: string,
  modelVersion: string,
  thresholdDistance: number,
  images: { verdicts: string[]; embedding: Float32Array }[],
): Promise<void> {
  assert(thresholdDistance > 0, `the match threshold must be positive, got ${thresholdDistance}`);
  const rows = await db.embedding.findMany({ where: { modelVersion, image: { identityId } }, select: { vector: true } });
  const gallery = rows.map((r) => decodeVector(r.vector));
  for (const image of images) {
    const warnings = [checkNearDuplicate(image.embedding, gallery, thresholdDistance), checkIdentityOutlier(image.embedding, gallery, thresholdDistance)];
    for (const w of warnings) if (w) image.verdicts.push(w.code);
    gallery.push(image.embedding);
  }
}
