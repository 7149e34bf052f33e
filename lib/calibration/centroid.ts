/**
 * Scoring an identity by its centroid (issue 18: "a per-identity aggregate calibrated as such"):
 * the distance from the query to the L2-normalised mean of the identity's L2-normalised images,
 *
 *   c_I = sum_{x in I} x / || sum_{x in I} x ||,   score(q, I) = || q - c_I ||,
 *
 * the prototype of prototypical networks (Snell et al. 2017). With one image c_I = x, so 1-shot
 * scores are the nearest-image distance unchanged. A stranger gets one comparison per identity
 * whatever the shots, so the threshold counts identities; the averaging pulls each genuine query
 * in and thins the impostor tail of the nearest-image score, which over K images drew K chances.
 */
import { bestPerIdentity, type GalleryEntry } from './policy';
import { squaredDistance, vectorsByIdentity } from './vectors';

/** L2-normalised mean of `vectors` (at least one, each L2-normalised); a vector itself when alone. */
export function centroidOf(vectors: readonly Float32Array[]): Float32Array {
  if (vectors.length === 1) return vectors[0];
  const dim = vectors[0].length;
  const sum = new Float64Array(dim);
  for (const v of vectors) for (let k = 0; k < dim; k++) sum[k] += v[k];
  let norm = 0;
  for (let k = 0; k < dim; k++) norm += sum[k] * sum[k];
  const out = new Float32Array(dim);
  // Opposite images that cancel exactly leave no direction: keep the zero vector (distance 1 to every unit query).
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let k = 0; k < dim; k++) out[k] = sum[k] * scale;
  return out;
}

/** One centroid per identity of `gallery`, in order of first appearance. */
export function galleryCentroids(gallery: readonly GalleryEntry[]): GalleryEntry[] {
  const names = [...new Set(gallery.map((g) => g.identity))];
  return vectorsByIdentity(gallery).map((vs, i) => ({ identity: names[i], vector: centroidOf(vs) }));
}

/** Centroid distance per identity of `gallery` to `query`, ascending (ties by identity key). */
export function centroidScores(centroids: readonly GalleryEntry[], query: Float32Array): { identity: string; score: number }[] {
  return bestPerIdentity(centroids, (i) => Math.sqrt(squaredDistance(query, centroids[i].vector)));
}
