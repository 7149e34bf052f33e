import { describe, expect, it } from 'vitest';
import {
  calibrate,
  computeTrialsNow,
  createPolicy,
  modelCurvePolicy,
  nearestPerIdentity,
  openSetThreshold,
  targetPoint,
  wilsonRate,
  withGalleryThreshold,
  type GalleryEntry,
  type TrialSet,
} from '@/lib/calibration';

/** One-hot unit vector e_i of length `dim`, optionally tilted by `eps` towards the last axis (then renormalised). */
function axis(i: number, dim: number, eps = 0): Float32Array {
  const v = new Float32Array(dim);
  v[i] = 1;
  v[dim - 1] += eps;
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

// A curve whose pairwise FAR falls linearly from 1 at distance 2 to 0 at distance 0.
const impostor = Array.from({ length: 1000 }, (_, i) => (2 * (i + 0.5)) / 1000);
const genuine = Array.from({ length: 100 }, (_, i) => (0.5 * (i + 0.5)) / 100);
const curve = calibrate(genuine, impostor).curve;

describe('wilsonRate', () => {
  it.each([
    // p = 0.02, z² = 3.8415: centre = (0.02 + 0.019207) / 1.038415 = 0.037757,
    // half = 1.96 / 1.038415 · sqrt(0.0002 · 0.98 + 3.8415 / 40000) = 0.032255.
    { name: '2 of 100', k: 2, n: 100, lo: 0.005502, hi: 0.070012 },
    // k = 0: lo 0, hi = z² / (n + z²) = 3.8415 / 303.8415.
    { name: '0 of 300', k: 0, n: 300, lo: 0, hi: 0.012643 },
    { name: 'no trials', k: 0, n: 0, lo: 0, hi: 1 },
  ])('$name', ({ k, n, lo, hi }) => {
    const r = wilsonRate(k, n);
    expect(r.value).toBe(n === 0 ? 0 : k / n);
    expect(r.lo).toBeCloseTo(lo, 5);
    expect(r.hi).toBeCloseTo(hi, 5);
  });
});

describe('nearestPerIdentity', () => {
  it('keeps the nearest image of each identity, ascending, ties by identity key', () => {
    const gallery: GalleryEntry[] = [
      { identity: 'b', vector: axis(0, 3) },
      { identity: 'b', vector: axis(1, 3) },
      { identity: 'a', vector: axis(1, 3) },
      { identity: 'c', vector: axis(2, 3) },
    ];
    expect(nearestPerIdentity(gallery, axis(1, 3))).toEqual([
      { identity: 'a', score: 0 },
      { identity: 'b', score: 0 },
      { identity: 'c', score: Math.SQRT2 },
    ]);
  });
});

describe('modelCurvePolicy', () => {
  it('reads the model curve at N identities while the gallery calibration is not in force', () => {
    // 1 shot: no identity has 2 images, so there are no gallery trials.
    const gallery = [0, 1, 2, 3].map((i) => ({ identity: `id${i}`, vector: axis(i, 5) }));
    const fitted = modelCurvePolicy(curve, { count: 'identities', gallery: 'replace' }).fit(gallery, 0.01);
    expect(fitted.threshold).toBe(openSetThreshold(curve, 0.01, 4));
    expect(fitted.evidence).toEqual({ source: 'model-curve', trials: 0, predictedFar: { value: 0.01, lo: null, hi: null } });
  });

  it('takes the gallery leave-one-identity-out threshold once it is in force', () => {
    // 5 identities x 6 tilted images: 30 impostor trials >= 3 / 0.1.
    const gallery = [0, 1, 2, 3, 4].flatMap((i) => [0, 1, 2, 3, 4, 5].map((k) => ({ identity: `id${i}`, vector: axis(i, 6, 0.05 * k) })));
    const fitted = createPolicy('model-curve-identities', { dir: '.', kind: 'object' as const, calibration: { curve }, cohort: null, openSetTable: null }).fit(gallery, 0.1);
    const trials = computeTrialsNow(gallery);
    expect(trials.impostor.length).toBe(30);
    expect(fitted.evidence.source).toBe('gallery');
    expect(fitted.evidence.trials).toBe(30);
    expect(fitted.threshold).toBe(targetPoint(trials, 0.1).threshold);
    // At 1e-2 the same gallery is short of 300 trials: back to the curve, with 5 identities.
    expect(createPolicy('model-curve-identities', { dir: '.', kind: 'object' as const, calibration: { curve }, cohort: null, openSetTable: null }).fit(gallery, 0.01).threshold).toBe(openSetThreshold(curve, 0.01, 5));
  });

  it('refuses an unknown policy name, naming the known ones', () => {
    expect(() => createPolicy('nope', { dir: '.', kind: 'object' as const, calibration: { curve }, cohort: null, openSetTable: null })).toThrow(/unknown open-set policy "nope"; known: model-curve-identities, model-curve-images, model-curve-table, model-curve-bound, model-curve-table-shift, cohort/);
  });
});

describe('withGalleryThreshold', () => {
  // 300 impostor trials at 1/300, 2/300, ..., 1: at target 1e-2 the gallery's own threshold
  // accepts 3 of them, and it is measurable (300 >= 3 / 0.01).
  const trials: TrialSet = {
    eligibleIdentities: 10,
    genuine: Float64Array.from({ length: 50 }, (_, i) => (i + 0.5) / 5000),
    impostor: Float64Array.from({ length: 300 }, (_, i) => (i + 1) / 300),
    sampled: false,
  };
  const fromGallery = targetPoint(trials, 0.01).threshold!;
  const accepting = (k: number) => (k + 0.5) / 300;

  it('reads 3 of the 300 trials at the target', () => {
    expect(trials.impostor.filter((d) => d <= fromGallery).length).toBe(3);
  });

  it('tightens when the curve threshold accepts a share whose whole Wilson interval is over the target', () => {
    // 10 of 300: 3.3%, Wilson [1.8%, 6.0%].
    expect(wilsonRate(10, 300).lo).toBeGreaterThan(0.01);
    const t = withGalleryThreshold(accepting(10), 0.01, trials, 'tighten');
    expect(t.threshold).toBe(fromGallery);
    expect(t.galleryFar).toMatchObject({ value: 3 / 300, n: 300 });
  });

  it('keeps the curve threshold when the gallery reads it a little high, within the noise of its trials', () => {
    // 5 of 300: 1.7%, Wilson [0.7%, 3.8%], so the gallery's stricter threshold is not evidence.
    expect(wilsonRate(5, 300).lo).toBeLessThan(0.01);
    expect(withGalleryThreshold(accepting(5), 0.01, trials, 'tighten')).toEqual({ threshold: accepting(5), galleryFar: null });
    // Never loosens: a curve threshold under the gallery's stays.
    expect(withGalleryThreshold(1.5 / 300, 0.01, trials, 'tighten')).toEqual({ threshold: 1.5 / 300, galleryFar: null });
  });

  it('takes the gallery threshold without a curve, or whenever it replaces the curve', () => {
    expect(withGalleryThreshold(null, 0.01, trials, 'tighten').threshold).toBe(fromGallery);
    expect(withGalleryThreshold(1.5 / 300, 0.01, trials, 'replace').threshold).toBe(fromGallery);
  });

  it('leaves the curve alone while the gallery cannot measure the target', () => {
    // 1e-3 needs 3,000 trials; 4 eligible identities are under the minimum of 5.
    expect(withGalleryThreshold(accepting(10), 0.001, trials, 'tighten')).toEqual({ threshold: accepting(10), galleryFar: null });
    expect(withGalleryThreshold(accepting(10), 0.01, { ...trials, eligibleIdentities: 4 }, 'replace')).toEqual({ threshold: accepting(10), galleryFar: null });
  });
});
