/**
 * The open-set table (issue 18, "a per-identity aggregate calibrated as such"): the threshold at a
 * target open-set FAR measured on whole simulated galleries of the model's calibration identities,
 * per gallery shape (N identities × K images each), in place of a pairwise curve converted with
 * 1-(1-p)^M, which assumes a stranger's M comparisons independent.
 *
 * They are not: a stranger near one image of an identity is near its other images (min over K
 * images is far from K independent chances), and some strangers are near everyone. On the
 * held-out grids the conversion over images accepted 0.15-0.8 × the target with 3-5 shots, so the
 * threshold was stricter than it had to be and genuine queries paid for it (issue 18's grid).
 *
 * Build (per N, seeded draws: `repeats`, more for small N): the gallery is N random calibration
 * identities, and K of each one's images for every K measured (nested: the first K of one draw);
 * every image of every other identity is a stranger query, scored by its best gallery identity
 * under the table's `aggregate` (the service's score: the identity's nearest image, or its
 * centroid, ./centroid.ts). Pooled over draws, the
 * threshold at FAR f is the largest distance t with #{stranger distances <= t} <= f · n
 * (n = stranger queries), stored for f on `TABLE_FARS` where n >= 3/f (rule of three), else null.
 *
 * Lookup for a gallery of N identities and M images (K = M/N, the mean shots): thresholds are
 * interpolated linearly in log N, then log K, between the shapes around (N, K). Past the largest
 * N or K measured the table is read at the largest and the FAR scaled down by the union bound,
 * f' = f · N_max/N (and · K_max/K), the same small-rate behaviour as the pairwise conversion.
 *
 * What the service takes from it is only the worth of K images of one identity: m(N, K) = f /
 * FAR_{N,1}(t_{N,K}(f)), the number of single-image identities a K-shot identity counts as, clamped
 * to [1, K]; the threshold stays the pairwise curve's over N·m comparisons (`effectiveComparisons`).
 * The table's own 1-shot thresholds are not served: on CFP's calibration half some strangers are
 * near many identities at once, so the 1-shot table accepted fewer distinct strangers than N
 * independent comparisons and read looser; ORL did not share that (5 × 1 cell at 1.63 × the
 * target over 50 repeats, against 0.89 × for the curve), while the shots' worth carried over.
 */
import { InputError } from '@/lib/errors';
import { centroidOf } from './centroid';
import { BOUND_MAX_IDENTITIES, pairwiseBound, type PairwiseBound } from './identity-bound';
import type { Aggregate } from './gallery-trials';
import { createRng } from './rng';
import { squaredDistance } from './vectors';

/** Target FARs the table stores thresholds at (descending); lookups interpolate in log FAR. */
export const TABLE_FARS: readonly number[] = Object.freeze([0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005, 0.0002, 0.0001]);

/** Seeded draws per shape of a shipped table (`evaluate make-openset-table`'s default, the retraining job's). */
export const TABLE_REPEATS = 30;

/** Gallery identities per shape built by default (capped by the calibration set). */
export const TABLE_IDENTITIES: readonly number[] = Object.freeze([1, 2, 5, 10, 20, 50, 100, 200]);

/** Images per identity per shape built by default (capped by the calibration set). */
export const TABLE_SHOTS: readonly number[] = Object.freeze([1, 2, 3, 5, 10]);

/** One measured gallery shape. */
export interface OpenSetTableShape {
  /** Gallery identities. */
  identities: number;
  /** Images per gallery identity. */
  shots: number;
  /** Stranger queries pooled over the draws. */
  strangerQueries: number;
  /** Threshold at each of the table's `fars`; null where strangerQueries < 3/f. */
  thresholds: (number | null)[];
}

/** The open-set table of a model (shipped in its folder, lib/embedder/open-set-table.ts). */
export interface OpenSetTable {
  /** How a gallery identity was scored; a table serves galleries scored the same way. */
  aggregate: Aggregate;
  /** The FARs of each shape's `thresholds`, descending. */
  fars: number[];
  /** Measured shapes. */
  shapes: OpenSetTableShape[];
  /** Draws per shape. */
  repeats: number;
  /** Seed of the draws. */
  seed: number;
  /**
   * The identity-bootstrap bound of the pairwise curve on the same calibration identities
   * (./identity-bound.ts): the service's threshold is never looser than it. Measured for calibration
   * sets under BOUND_MAX_IDENTITIES identities; absent otherwise, and in tables measured before it.
   */
  bound?: PairwiseBound;
}

/** A calibration identity: its L2-normalised embeddings. */
export interface TableIdentity {
  name: string;
  vectors: readonly Float32Array[];
}

/** Options of `buildOpenSetTable`. */
export interface BuildTableOptions {
  identities?: readonly number[];
  shots?: readonly number[];
  repeats: number;
  seed: number;
  /** How a gallery identity is scored (default `nearest`). */
  aggregate?: Aggregate;
  /** Share of identities that must stay strangers in every draw (default 1/3). */
  minStrangerShare?: number;
}

/** Largest t with #{sorted[i] <= t} <= allowed, i.e. just under the (allowed+1)-th smallest distance. */
function thresholdAllowing(sorted: Float64Array, allowed: number): number {
  if (allowed >= sorted.length) return sorted[sorted.length - 1];
  const next = sorted[allowed];
  // Strictly below the first distance that would be one acceptance too many (ties stay out).
  const prev = allowed > 0 ? sorted[allowed - 1] : 0;
  return prev < next ? (prev + next) / 2 : Math.max(0, next - 1e-9);
}

/** Measures the table on calibration identities (see the top of this file). */
export function buildOpenSetTable(calibration: readonly TableIdentity[], opts: BuildTableOptions): OpenSetTable {
  const minStrangers = Math.ceil(calibration.length * (opts.minStrangerShare ?? 1 / 3));
  const maxGallery = calibration.length - minStrangers;
  if (maxGallery < 1) throw new InputError('invalid_dataset', `an open-set table needs identities for both galleries and strangers; got ${calibration.length}`);
  // Galleries are nested across shots: the K-shot gallery of a draw is the first K images of the
  // same identities, so m(N, K) compares the same galleries (and t_{N,K} <= t_{N,1} holds draw by
  // draw). Drawn from identities with the most shots measured; fewer-image identities stay strangers.
  const shotsList = [...new Set(opts.shots ?? TABLE_SHOTS)].sort((x, y) => x - y).filter((k) => calibration.filter((c) => c.vectors.length >= k).length > 1);
  const kMax = shotsList[shotsList.length - 1];
  const eligible = calibration.filter((c) => c.vectors.length >= kMax);
  const rng = createRng(opts.seed);
  const aggregate = opts.aggregate ?? 'nearest';
  const shapes: OpenSetTableShape[] = [];
  for (const identities of opts.identities ?? TABLE_IDENTITIES) {
    if (identities > Math.min(maxGallery, eligible.length)) continue;
    // Strangers near one gallery identity come in clumps, so a shape's tail depends on how many
    // gallery identities were drawn: small galleries get more draws (about 20 · repeats identities).
    const draws = Math.max(opts.repeats, Math.ceil((20 * opts.repeats) / identities));
    const distances = shotsList.map(() => [] as number[]);
    for (let r = 0; r < draws; r++) {
      const members = new Set(rng.shuffle([...eligible]).slice(0, identities));
      // [identities][kMax] images, in drawn order.
      const gallery = [...members].map((m) => rng.shuffle([...m.vectors]).slice(0, kMax));
      // Centroids of each identity's first K images, per K measured.
      const centroids = aggregate === 'centroid' ? shotsList.map((k) => gallery.map((images) => centroidOf(images.slice(0, k)))) : null;
      for (const stranger of calibration) {
        if (members.has(stranger)) continue;
        for (const q of stranger.vectors) {
          if (centroids) {
            centroids.forEach((cs, j) => distances[j].push(Math.sqrt(Math.min(...cs.map((c) => squaredDistance(q, c))))));
            continue;
          }
          // nearest[i]: the stranger's nearest i-th image over the gallery identities; the K-shot
          // score is the minimum of nearest[0..K-1], so each distance is computed once for every K.
          const nearest = new Float64Array(kMax).fill(Infinity);
          for (const images of gallery) for (let i = 0; i < kMax; i++) nearest[i] = Math.min(nearest[i], squaredDistance(q, images[i]));
          let best = Infinity;
          let i = 0;
          shotsList.forEach((k, j) => {
            for (; i < k; i++) best = Math.min(best, nearest[i]);
            distances[j].push(Math.sqrt(best));
          });
        }
      }
    }
    shotsList.forEach((shots, j) => {
      const sorted = Float64Array.from(distances[j]).sort();
      const n = sorted.length;
      shapes.push({ identities, shots, strangerQueries: n, thresholds: TABLE_FARS.map((f) => (n >= 3 / f ? thresholdAllowing(sorted, Math.floor(f * n)) : null)) });
    });
  }
  if (shapes.length === 0) throw new InputError('invalid_dataset', 'no gallery shape could be drawn from the calibration identities');
  return { aggregate, fars: [...TABLE_FARS], shapes, repeats: opts.repeats, seed: opts.seed };
}

/** y at x by linear interpolation over ascending xs (clamped at the ends); null where a needed y is null. */
function interpolate(xs: readonly number[], ys: readonly (number | null)[], x: number): number | null {
  if (xs.length === 0) return null;
  if (x <= xs[0]) return ys[0];
  const last = xs.length - 1;
  if (x >= xs[last]) return ys[last];
  const i = xs.findIndex((v) => v >= x);
  // On a node, its own y: the neighbour beyond it has no weight (and may be null).
  if (xs[i] === x) return ys[i];
  const [y0, y1] = [ys[i - 1], ys[i]];
  if (y0 === null || y1 === null) return null;
  const w = (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
  return y0 + w * (y1 - y0);
}

/** A shape's threshold at FAR f, interpolated in log f; null outside what it measured. */
function shapeThreshold(table: OpenSetTable, shape: OpenSetTableShape, far: number): number | null {
  const logs = table.fars.map((f) => -Math.log(f));
  const x = -Math.log(far);
  if (x < logs[0] || x > logs[logs.length - 1]) return null;
  return interpolate(logs, shape.thresholds, x);
}

/**
 * The table's threshold for a gallery of `identities` identities and `images` images at target
 * open-set FAR `far` (see the top of this file), or null when the table cannot answer (no shape,
 * or the FAR needs more stranger queries than were drawn).
 */
export function openSetTableThreshold(table: OpenSetTable, far: number, identities: number, images: number): number | null {
  if (!(far > 0 && far < 1)) throw new InputError('invalid_threshold', `target open-set FAR must be in (0, 1), got ${far}`);
  if (identities < 1 || images < identities) return null;
  const shotsList = [...new Set(table.shapes.map((s) => s.shots))].sort((a, b) => a - b);
  const kMean = images / identities;
  const k = Math.min(kMean, shotsList[shotsList.length - 1]);
  const f = far * (k / kMean);
  const byShots = shotsList.map((shots) => {
    const row = table.shapes.filter((s) => s.shots === shots).sort((a, b) => a.identities - b.identities);
    const nMax = row[row.length - 1].identities;
    const n = Math.min(identities, nMax);
    const fN = f * (n / identities);
    const ts = row.map((s) => shapeThreshold(table, s, fN));
    return interpolate(row.map((s) => Math.log(s.identities)), ts, Math.log(n));
  });
  return interpolate(shotsList.map((s) => Math.log(s)), byShots, Math.log(k));
}

/** The FAR at which the (N, K) shape's interpolated threshold is t, interpolated in log FAR; null when no supported FAR brackets t. */
function farAtThreshold(table: OpenSetTable, t: number, identities: number, images: number): number | null {
  const points = table.fars.flatMap((f) => {
    const at = openSetTableThreshold(table, f, identities, images);
    return at === null ? [] : [{ logFar: Math.log(f), t: at }];
  });
  // Thresholds rise with the FAR: ascending t.
  points.sort((a, b) => a.t - b.t);
  if (points.length === 0 || t < points[0].t || t > points[points.length - 1].t) return null;
  const y = interpolate(points.map((p) => p.t), points.map((p) => p.logFar), t);
  return y === null ? null : Math.exp(y);
}

/**
 * The comparisons a stranger gets against a gallery of `identities` identities and `images`
 * images, counting each identity's images at their measured worth m(N, K) (see the top of this
 * file): N · m, with 1 <= m <= K. null when the table cannot answer (the curve then counts images).
 */
export function effectiveComparisons(table: OpenSetTable, far: number, identities: number, images: number): number | null {
  const shots = images / identities;
  if (shots <= 1) return identities;
  const t = openSetTableThreshold(table, far, identities, images);
  const farOneShot = t === null ? null : farAtThreshold(table, t, identities, identities);
  if (farOneShot === null) return null;
  // By nearest image K images are never worth less than one (the minimum over them is at most any
  // one's distance); a centroid can be: its impostor tail is thinner than one image's.
  const floor = table.aggregate === 'centroid' ? 0 : 1;
  return identities * Math.min(shots, Math.max(floor, far / farOneShot));
}

/**
 * A model's table as it ships (`evaluate make-openset-table`, and the retraining job for a photo
 * candidate): measured on its calibration identities, with their identity bound under
 * BOUND_MAX_IDENTITIES of them (`bound: 'always'`: regardless).
 */
export function modelOpenSetTable(identities: readonly TableIdentity[], opts: BuildTableOptions & { bound: 'auto' | 'always' }): OpenSetTable {
  const measured = buildOpenSetTable(identities, opts);
  const withBound = opts.bound === 'always' || identities.length < BOUND_MAX_IDENTITIES;
  return withBound ? { ...measured, bound: pairwiseBound(identities.map((i) => i.vectors), { seed: opts.seed }) } : measured;
}
