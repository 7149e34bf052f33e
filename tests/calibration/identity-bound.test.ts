import { describe, expect, it } from 'vitest';
import { randomIdentities } from '../helpers/random-identities';
import {
  BOUND_FARS,
  boundThreshold,
  calibrate,
  createRng,
  distanceAtFar,
  modelThreshold,
  openSetThreshold,
  pairDistances,
  pairwiseBound,
  pairwiseFarForOpenSet,
  rocCurve,
  squaredDistance,
  type OpenSetTable,
} from '@/lib/calibration';

/** Unit vector at angle `theta` in the plane of axes `i` and `j` of a `dim`-dimensional space. */
function planar(i: number, j: number, theta: number, dim: number): Float32Array {
  const v = new Float32Array(dim);
  v[i] = Math.cos(theta);
  v[j] += Math.sin(theta);
  return v;
}

/**
 * 5 identities of 2 images on orthogonal axes (impostor distance about sqrt(2)), except that
 * identities 0 and 1 are look-alikes: all four of their cross pairs lie about 0.3 apart.
 */
function lookAlikes(): Float32Array[][] {
  const dim = 8;
  const pair = (i: number, j: number, base: number) => [planar(i, j, base, dim), planar(i, j, base + 0.02, dim)];
  return [pair(0, 7, 0), pair(0, 7, 0.3), pair(2, 7, 0), pair(3, 7, 0), pair(4, 7, 0)];
}

describe('pairwiseBound', () => {
  it('is the (1 - confidence) quantile of the thresholds that resampled identity sets, materialised, read at tolerance × p', () => {
    const identities = randomIdentities(7, 3, 6, false, 11).map((i) => i.vectors);
    const resamples = 200;
    const bound = pairwiseBound(identities, { seed: 5, resamples, confidence: 0.8, tolerance: 1.5 });
    // The reference draws the same resamples, copies each drawn identity, and reads the plain ROC
    // of every impostor pair between copies of different identities with distanceAtFar.
    const rng = createRng(5);
    const ps = [3e-3, 1e-2, 3e-2, 0.1, 0.15].map((p) => BOUND_FARS.findIndex((f) => f >= p));
    const reads = ps.map(() => [] as number[]);
    for (let r = 0; r < resamples; r++) {
      let drawn: number[];
      do drawn = identities.map(() => rng.int(identities.length));
      while (new Set(drawn).size < 2);
      const impostor: number[] = [];
      drawn.forEach((a, x) =>
        drawn.forEach((b, y) => {
          if (y <= x || a === b) return;
          for (const u of identities[a]) for (const v of identities[b]) impostor.push(Math.sqrt(squaredDistance(u, v)));
        }),
      );
      const curve = rocCurve([0], impostor, Infinity);
      ps.forEach((j, k) => {
        // At or above the first impostor's FAR the stored curve and the bound read alike.
        if (1.5 * BOUND_FARS[j] >= curve.far[1]) reads[k].push(distanceAtFar(curve, 1.5 * BOUND_FARS[j]));
        else reads[k].push(curve.distances[1]);
      });
    }
    ps.forEach((j, k) => {
      const sorted = reads[k].sort((x, y) => x - y);
      expect(bound.distances[j]).toBeCloseTo(sorted[0.2 * resamples - 1], 9);
    });
    expect(bound).toMatchObject({ confidence: 0.8, tolerance: 1.5, resamples, seed: 5, identities: 7 });
  });

  it('reads under a look-alike pair of identities where the point curve reads past it', () => {
    const identities = lookAlikes();
    const { genuine, impostor } = pairDistances(identities);
    // 4 of the 40 impostor pairs (FAR 0.1) are the look-alikes, at about 0.3; the rest about 1.41.
    const curve = calibrate(genuine, impostor).curve;
    const lookAlikeDistance = Math.max(...impostor.filter((d) => d < 1));
    expect(impostor.filter((d) => d < 1)).toHaveLength(4);
    // p = 0.12: the point curve reads just past the look-alikes (its FAR there is 0.1 <= p).
    expect(distanceAtFar(curve, 0.12)).toBeGreaterThan(lookAlikeDistance);
    // Drawn twice with the other once (about 1 resample in 4), the look-alikes are over 1.5 × 0.12
    // of the resampled pairs: the 0.9 bound reads at or under them.
    const bound = pairwiseBound(identities, { seed: 1 });
    expect(boundThreshold(bound, 0.12)).toBeLessThanOrEqual(lookAlikeDistance);
  });

  it('does not bind where many alike identities set the curve: the bound at p sits past the curve at p', () => {
    const identities = randomIdentities(150, 3, 32, false, 3);
    const { genuine, impostor } = pairDistances(identities.map((i) => i.vectors));
    const curve = calibrate(genuine, impostor).curve;
    const bound = pairwiseBound(identities.map((i) => i.vectors), { seed: 2, resamples: 300 });
    for (const p of [1e-3, 1e-2, 0.1]) expect(boundThreshold(bound, p)).toBeGreaterThan(distanceAtFar(curve, p));
  });

  it('refuses fewer than 2 identities and a confidence or tolerance out of range', () => {
    const two = randomIdentities(2, 2, 4, false, 1).map((i) => i.vectors);
    expect(() => pairwiseBound(two.slice(0, 1), { seed: 0 })).toThrow(/2\+ identities/);
    expect(() => pairwiseBound(two, { seed: 0, confidence: 1 })).toThrow(/confidence/);
    expect(() => pairwiseBound(two, { seed: 0, tolerance: 0.5 })).toThrow(/tolerance/);
  });
});

describe('boundThreshold', () => {
  const bound = { fars: [1e-4, 1e-3, 1e-2], distances: [0.2, 0.5, 0.6] };
  it('reads stored FARs exactly and interpolates in log FAR between them', () => {
    expect(boundThreshold(bound, 1e-3)).toBe(0.5);
    expect(boundThreshold(bound, Math.sqrt(1e-4 * 1e-3))).toBeCloseTo(0.35, 12);
  });
  it('clamps at both ends and refuses a FAR that is not positive', () => {
    expect(boundThreshold(bound, 1e-6)).toBe(0.2);
    expect(boundThreshold(bound, 0.5)).toBe(0.6);
    expect(() => boundThreshold(bound, 0)).toThrow(/positive/);
  });
});

describe('modelThreshold with an identity bound', () => {
  // Impostor distances uniform on (0, 2): the curve at pairwise FAR p reads about 2p.
  const impostor = Array.from({ length: 10_000 }, (_, i) => (2 * (i + 0.5)) / 10_000);
  const curve = calibrate([0.1], impostor).curve;
  const table = (distance: number): OpenSetTable => ({
    aggregate: 'nearest',
    fars: [0.2],
    shapes: [{ identities: 1, shots: 1, strangerQueries: 1000, thresholds: [1] }],
    repeats: 1,
    seed: 0,
    bound: { confidence: 0.9, tolerance: 1.5, resamples: 10, seed: 0, identities: 20, fars: [1e-6, 1], distances: [distance, distance] },
  });
  it('reads the bound where it is stricter than the curve, and names it', () => {
    const r = modelThreshold(curve, table(0.001), 0.01, 4, 4, { bound: true });
    expect(r).toEqual({ threshold: 0.001, comparisons: 4, source: 'model-curve-bound' });
    expect(openSetThreshold(curve, 0.01, 4)).toBeCloseTo(2 * pairwiseFarForOpenSet(0.01, 4), 3);
  });
  it('keeps the curve where the bound is looser, and ignores the bound unless asked', () => {
    expect(modelThreshold(curve, table(1.5), 0.01, 4, 4, { bound: true })).toEqual({ threshold: openSetThreshold(curve, 0.01, 4), comparisons: 4, source: 'model-curve-table' });
    expect(modelThreshold(curve, table(0.001), 0.01, 4, 4, { bound: false }).threshold).toBe(openSetThreshold(curve, 0.01, 4));
  });
});
