/**
 * Faces in the service: the gallery warnings of an enrolment (`near_duplicate`, `identity_outlier`),
 * which need the identity's stored embeddings. The face preparer is in runtime/face-preparer.ts.
 */
import { checkIdentityOutlier, checkNearDuplicate } from '@/lib/faces';
import { assert } from '@/lib/errors';
import type { Db } from '@/lib/db/client';
import { findIdentityVectors } from '@/lib/db/embeddings';
import { decodeVector } from './runtime/vectors';

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
  const gallery = (await findIdentityVectors(db, identityId, modelVersion)).map(decodeVector);
  for (const image of images) {
    const warnings = [checkNearDuplicate(image.embedding, gallery, thresholdDistance), checkIdentityOutlier(image.embedding, gallery, thresholdDistance)];
    for (const w of warnings) if (w) image.verdicts.push(w.code);
    gallery.push(image.embedding);
  }
}
