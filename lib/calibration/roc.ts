/**
 * Calibration of a distance threshold from genuine / impostor distance samples (pure math, no tf).
 *
 * Distances are Euclidean between L2-normalised embeddings, so they lie in [0, 2]; smaller = closer.
 * Convention used everywhere (curve, thresholds, `decide()`): a pair is ACCEPTED ("same") when
 *   distance <= threshold.
 * Hence, for a threshold d:
 *   FAR(d) = #{impostor pairs with distance <= d} / #impostor pairs   (false accept rate)
 *   TAR(d) = #{genuine pairs with distance <= d} / #genuine pairs     (true accept rate = 1 - FRR)
 * Genuine pairs show the same identity (`same: true`), impostor pairs two different ones.
 * The open-set conversion of a pairwise curve is in open-set.ts.
 */
import { InputError } from '@/lib/errors';

/** Sampled FAR/TAR-versus-distance curve; `distances` ascending, far/tar non-decreasing. */
export interface CalibrationCurve {
  /** Thresholds, ascending. */
  distances: number[];
  /** far[i] = share of impostor pairs with distance <= distances[i]. */
  far: number[];
  /** tar[i] = share of genuine pairs with distance <= distances[i]. */
  tar: number[];
}

/** One threshold with its measured rates and the sample sizes behind them. */
export interface ThresholdPoint {
  /** The threshold: accept when distance <= this. */
  distance: number;
  /** Pairwise false accept rate at this threshold on the calibration pairs. */
  far: number;
  /** Pairwise true accept rate at this threshold on the calibration pairs. */
  tar: number;
  /** Impostor pairs behind `far` (a FAR below 1/impostorPairs is not measurable). */
  impostorPairs: number;
  /** Genuine pairs behind `tar`. */
  genuinePairs: number;
}

/** Everything learned from one set of calibration pairs; stored in the model manifest. */
export interface Calibration {
  /** FAR/TAR curve used by `openSetThreshold`. */
  curve: CalibrationCurve;
  /** Number of genuine (same-identity) pairs. */
  genuinePairs: number;
  /** Number of impostor (different-identity) pairs. */
  impostorPairs: number;
  /** Area under the ROC curve: P(genuine distance < impostor distance), ties count 1/2. */
  auc: number;
  /** Equal error rate: the rate where FAR = FRR (= 1 - TAR), linearly interpolated. */
  eer: number;
  /** Pairwise thresholds: best (TAR + 1 - FAR)/2, and the largest with pairwise FAR <= 1e-2 / 1e-3. */
  thresholds: { maxBalancedAccuracy: ThresholdPoint; far1e2: ThresholdPoint; far1e3: ThresholdPoint };
}

function sortedCopy(values: ArrayLike<number>, what: string): Float64Array {
  const out = Float64Array.from(values as ArrayLike<number>);
  for (const v of out) {
    if (!Number.isFinite(v)) throw new InputError('invalid_calibration', `${what} distances must be finite numbers, got ${v}`);
  }
  return out.sort();
}

/** Number of values in ascending `sorted` that are <= x (binary search). */
export function countAtMost(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Unique values of the union of two ascending arrays, ascending. */
function uniqueMerged(a: Float64Array, b: Float64Array): number[] {
  const all = Float64Array.from([...a, ...b]).sort();
  const out: number[] = [];
  for (const v of all) if (out.length === 0 || out[out.length - 1] !== v) out.push(v);
  return out;
}

function curveAt(g: Float64Array, imp: Float64Array, distances: number[]): CalibrationCurve {
  return {
    distances,
    far: distances.map((d) => countAtMost(imp, d) / imp.length),
    tar: distances.map((d) => countAtMost(g, d) / g.length),
  };
}

/**
 * Samples the curve at: 0, the lowest 256 impostor distances exactly (the low-FAR end that open-set
 * thresholds read), ~256 log-spaced impostor order statistics, and a 256-step distance grid (for TAR).
 */
function sampledDistances(g: Float64Array, imp: Float64Array): number[] {
  const set = new Set<number>([0]);
  const n = imp.length;
  for (let k = 0; k < Math.min(n, 256); k++) set.add(imp[k]);
  for (let j = 0; j <= 256; j++) set.add(imp[Math.min(n - 1, Math.round(Math.exp((Math.log(n) * j) / 256)) - 1)]);
  const lo = Math.min(g[0], imp[0]);
  const hi = Math.max(g[g.length - 1], imp[n - 1]);
  for (let j = 0; j <= 256; j++) set.add(lo + ((hi - lo) * j) / 256);
  return [...set].sort((a, b) => a - b);
}

/** Full ROC over every distinct distance (plus 0), thinned to at most `maxPoints` points for plots. */
export function rocCurve(genuine: ArrayLike<number>, impostor: ArrayLike<number>, maxPoints = 1000): CalibrationCurve {
  const g = sortedCopy(genuine, 'genuine');
  const imp = sortedCopy(impostor, 'impostor');
  if (g.length === 0 || imp.length === 0) throw new InputError('invalid_calibration', 'rocCurve needs at least one genuine and one impostor distance');
  let distances = uniqueMerged(Float64Array.of(0), Float64Array.from([...g, ...imp]));
  if (distances.length > maxPoints) {
    const step = (distances.length - 1) / (maxPoints - 1);
    distances = Array.from({ length: maxPoints }, (_, i) => distances[Math.round(i * step)]);
  }
  return curveAt(g, imp, distances);
}

/** AUC = P(genuine < impostor) + P(genuine = impostor)/2 over all genuine x impostor pairs. */
export function aucOf(genuine: ArrayLike<number>, impostor: ArrayLike<number>): number {
  const imp = sortedCopy(impostor, 'impostor');
  let sum = 0;
  for (let i = 0; i < genuine.length; i++) {
    const x = genuine[i];
    const atMost = countAtMost(imp, x);
    const below = countBelow(imp, x);
    sum += imp.length - atMost + 0.5 * (atMost - below);
  }
  return sum / (genuine.length * imp.length);
}

function countBelow(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * EER: sweep thresholds over every distinct distance (starting below all of them, FAR = 0, FRR = 1);
 * FAR rises and FRR = 1 - TAR falls; between the last point with FAR < FRR and the first with
 * FAR >= FRR both are interpolated linearly and the crossing value is returned.
 */
export function eerOf(genuine: ArrayLike<number>, impostor: ArrayLike<number>): number {
  const g = sortedCopy(genuine, 'genuine');
  const imp = sortedCopy(impostor, 'impostor');
  let prevFar = 0;
  let prevFrr = 1;
  for (const d of uniqueMerged(g, imp)) {
    const far = countAtMost(imp, d) / imp.length;
    const frr = 1 - countAtMost(g, d) / g.length;
    if (far >= frr) {
      const a = prevFar - prevFrr; // < 0
      const b = far - frr; // >= 0
      const t = -a / (b - a);
      return prevFar + t * (far - prevFar);
    }
    prevFar = far;
    prevFrr = frr;
  }
  return prevFar; // unreachable: at the largest distance FAR = 1 >= FRR = 0
}

/**
 * Largest distance whose pairwise FAR <= p, read from the curve: the last sample with far <= p,
 * then linear interpolation towards the next sample (whose far > p), so the result stays below
 * the next impostor distance. When p < 1/impostorPairs the value is an extrapolation from (0, 0).
 */
export function distanceAtFar(curve: CalibrationCurve, p: number): number {
  const { distances, far } = curve;
  let j = -1;
  for (let i = 0; i < far.length; i++) if (far[i] <= p) j = i;
  if (j === -1) return distances[0];
  if (j === far.length - 1) return distances[j];
  const t = (p - far[j]) / (far[j + 1] - far[j]);
  return distances[j] + t * (distances[j + 1] - distances[j]);
}

function pointAt(g: Float64Array, imp: Float64Array, distance: number): ThresholdPoint {
  return {
    distance,
    far: countAtMost(imp, distance) / imp.length,
    tar: countAtMost(g, distance) / g.length,
    impostorPairs: imp.length,
    genuinePairs: g.length,
  };
}

/** Threshold maximising (TAR + 1 - FAR)/2, placed midway to the next distinct distance. */
function maxBalancedAccuracyDistance(g: Float64Array, imp: Float64Array): number {
  const ds = uniqueMerged(g, imp);
  let best = -1;
  let bestAt = 0;
  for (let i = 0; i < ds.length; i++) {
    const acc = (countAtMost(g, ds[i]) / g.length + 1 - countAtMost(imp, ds[i]) / imp.length) / 2;
    if (acc > best) {
      best = acc;
      bestAt = i;
    }
  }
  return bestAt + 1 < ds.length ? (ds[bestAt] + ds[bestAt + 1]) / 2 : ds[bestAt];
}

/** Learns the curve, AUC, EER and the three pairwise thresholds from genuine / impostor distances. */
export function calibrate(genuine: ArrayLike<number>, impostor: ArrayLike<number>): Calibration {
  const g = sortedCopy(genuine, 'genuine');
  const imp = sortedCopy(impostor, 'impostor');
  if (g.length === 0 || imp.length === 0) {
    throw new InputError('invalid_calibration', `calibrate needs genuine and impostor distances, got ${g.length} genuine and ${imp.length} impostor`);
  }
  const curve = curveAt(g, imp, sampledDistances(g, imp));
  return {
    curve,
    genuinePairs: g.length,
    impostorPairs: imp.length,
    auc: aucOf(g, imp),
    eer: eerOf(g, imp),
    thresholds: {
      maxBalancedAccuracy: pointAt(g, imp, maxBalancedAccuracyDistance(g, imp)),
      far1e2: pointAt(g, imp, distanceAtFar(curve, 1e-2)),
      far1e3: pointAt(g, imp, distanceAtFar(curve, 1e-3)),
    },
  };
}
