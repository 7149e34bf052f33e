/**
 * Cohort score normalisation (issue 18): adaptive symmetric normalisation (AS-norm) of a distance
 * against a cohort of embeddings of identities the model was trained or calibrated on, so that a
 * score means the same on a new domain; and the order-statistic threshold read from stranger
 * trials, with its Wilson interval. Pure: vectors in, numbers out.
 *
 * AS-norm (Matějka et al., "Analysis of score normalization in multilingual speaker recognition",
 * Interspeech 2017; Cumani et al. 2011): for a query q and a gallery image g with raw distance d,
 *   s(q, g) = ½ [ (d − μ_q) / σ_q + (d − μ_g) / σ_g ],
 * where μ_x, σ_x are the mean and standard deviation of x's top-k CLOSEST cohort distances (the
 * "adaptive" part: only the cohort members that compete with x). Distances are lower-is-closer, so
 * s is too: a negative s means q and g are closer than either usually is to the cohort.
 */
import { InputError } from '@/lib/errors';
import type { GalleryEntry } from './policy';

/** σ floor: a cohort whose top-k distances are all equal would divide by zero. */
const SIGMA_FLOOR = 1e-6;

/** Euclidean distance of two L2-normalised embeddings: ‖a − b‖ = √(2 − 2·a·b) (clamped at 0 for rounding). */
export function unitDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return Math.sqrt(Math.max(0, 2 - 2 * dot));
}

/** Mean and standard deviation of the k closest cohort distances of one embedding. */
export interface CohortStats {
  mean: number;
  std: number;
}

/** A cohort: embeddings (L2-normalised) of identities the model was trained or calibrated on, with their identities. */
export type Cohort = readonly GalleryEntry[];

/** Checks the cohort is usable with top-k (k >= 2 members, k <= cohort size). */
export function checkCohort(cohort: Cohort, k: number): void {
  if (!Number.isInteger(k) || k < 2) throw new InputError('invalid_cohort', `cohort top-k must be an integer >= 2, got ${k}`);
  if (cohort.length < k) throw new InputError('invalid_cohort', `cohort has ${cohort.length} embeddings, fewer than top-k ${k}`);
}

/** μ, σ of the first k values of ascending `sorted` that pass `keep` (population σ, floored). */
function statsOfFirst(sorted: ArrayLike<number>, k: number, keep: (i: number) => boolean): CohortStats {
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < sorted.length && n < k; i++) {
    if (!keep(i)) continue;
    sum += sorted[i];
    sumSq += sorted[i] * sorted[i];
    n++;
  }
  const mean = sum / n;
  return { mean, std: Math.max(SIGMA_FLOOR, Math.sqrt(Math.max(0, sumSq / n - mean * mean))) };
}

/** A vector's cohort distances, ascending; `excludeIdentity` drops that identity's rows (a cohort member playing query). */
function cohortDistances(vector: Float32Array, cohort: Cohort, excludeIdentity?: string): Float64Array {
  const ds = new Float64Array(cohort.length);
  let n = 0;
  for (const c of cohort) if (c.identity !== excludeIdentity) ds[n++] = unitDistance(vector, c.vector);
  return ds.subarray(0, n).sort();
}

/** μ, σ of the k closest cohort distances of `vector` (excluding `excludeIdentity`'s rows). */
export function cohortStats(vector: Float32Array, cohort: Cohort, k: number, excludeIdentity?: string): CohortStats {
  return statsOfFirst(cohortDistances(vector, cohort, excludeIdentity), k, () => true);
}

/**
 * A gallery image's cohort neighbourhood: its closest cohort distances (k plus the largest number
 * of images any cohort identity has, so the stats stay exact when one identity is left out).
 */
export interface CohortNeighbourhood {
  /** Stats over all cohort members (what a real query, never in the cohort, is normalised with). */
  stats: CohortStats;
  /** Closest cohort distances, ascending. */
  distances: Float64Array;
  /** Cohort identity index of each of `distances`. */
  identities: Int32Array;
  /** The identity indices in `distances` within the top k (only these change the stats when left out). */
  inTopK: Set<number>;
}

/** The neighbourhood of `vector` (see `CohortNeighbourhood`); `identityIndex[i]` is cohort row i's identity index. */
export function cohortNeighbourhood(vector: Float32Array, cohort: Cohort, k: number, identityIndex: Int32Array, spare: number): CohortNeighbourhood {
  const all = cohort.map((c) => unitDistance(vector, c.vector));
  const rows = Int32Array.from(all.keys()).sort((a, b) => all[a] - all[b]);
  const keep = rows.subarray(0, Math.min(rows.length, k + spare));
  const distances = Float64Array.from(keep, (r) => all[r]);
  return {
    stats: statsOfFirst(distances, k, () => true),
    distances,
    identities: Int32Array.from(keep, (r) => identityIndex[r]),
    inTopK: new Set(Array.from(keep.subarray(0, k), (r) => identityIndex[r])),
  };
}

/** The neighbourhood's stats with one cohort identity left out (a cohort member playing stranger against this image). */
export function statsWithout(n: CohortNeighbourhood, k: number, identity: number): CohortStats {
  if (!n.inTopK.has(identity)) return n.stats;
  return statsOfFirst(n.distances, k, (i) => n.identities[i] !== identity);
}

/** AS-norm score: s = ½[(d − μ_q)/σ_q + (d − μ_g)/σ_g] (lower is closer). */
export function asNorm(d: number, q: CohortStats, g: CohortStats): number {
  return 0.5 * ((d - q.mean) / q.std + (d - g.mean) / g.std);
}

/**
 * Threshold at a target FAR from stranger trials (each a stranger's best score over the gallery, so
 * accepted when <= threshold): with n trials sorted ascending s₁ ≤ … ≤ sₙ, at most a = ⌊FAR·n⌋ may be
 * accepted, so the threshold sits midway between s_a and the next larger score (below s₁ when a = 0).
 * Returns it with the accepted count (<= a; ties can make it smaller).
 */
export function thresholdFromTrials(sortedScores: ArrayLike<number>, targetFar: number): { threshold: number; accepted: number } {
  const n = sortedScores.length;
  if (n === 0) throw new InputError('invalid_calibration', 'no stranger trials to read a threshold from');
  let a = Math.floor(targetFar * n);
  if (a >= n) return { threshold: sortedScores[n - 1], accepted: n };
  // Ties with the first rejected score must be rejected too.
  while (a > 0 && sortedScores[a - 1] === sortedScores[a]) a--;
  const next = sortedScores[a];
  const below = a > 0 ? sortedScores[a - 1] : next - Math.max(1e-9, Math.abs(next) * 1e-9);
  return { threshold: (below + next) / 2, accepted: a };
}
