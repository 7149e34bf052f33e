import { describe, expect, it } from 'vitest';
import { calibrate, distanceAtFar, interIdentityDistances, modelCurvePolicy, openSetThreshold, pairwiseFarForOpenSet, shiftThreshold, type GalleryEntry } from '@/lib/calibration';

/** `n` distances spread evenly over (lo, hi]: the i-th smallest is lo + (hi - lo)·i/n, so the k-th sits exactly at quantile k/n. */
function evenly(n: number, lo: number, hi: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => lo + ((hi - lo) * (i + 1)) / n);
}

// The model's curve: impostor pairs uniform on [0, 2], so Q_c(f) = 2f.
const curve = calibrate(evenly(100, 0, 0.5), evenly(10_000, 0, 2)).curve;
// A narrower curve: impostor pairs uniform on [0.5, 1.5], so Q_c(f) = 0.5 + f.
const narrowCurve = calibrate(evenly(100, 0, 0.5), evenly(10_000, 0.5, 1.5)).curve;

// Target open-set FAR 1e-2 over 15 comparisons (a 5 × 3 gallery counted as images).
const p = pairwiseFarForOpenSet(0.01, 15);

/** One-hot unit vector e_i of length `dim`. */
function axis(i: number, dim: number): Float32Array {
  const v = new Float32Array(dim);
  v[i] = 1;
  return v;
}

describe('interIdentityDistances', () => {
  it('takes every pair of images of two different identities: 90 in a 5 × 3 gallery', () => {
    const gallery: GalleryEntry[] = [0, 1, 2, 3, 4].flatMap((i) => [0, 1, 2].map((k) => ({ identity: `id${i}`, vector: axis(3 * i + k, 15) })));
    const d = interIdentityDistances(gallery);
    expect(d.length).toBe(90);
    for (const x of d) expect(x).toBeCloseTo(Math.SQRT2, 6);
  });
});

describe('shiftThreshold', () => {
  const t = distanceAtFar(curve, p);
  // With 1 image per identity, N identities give N(N-1)/2 pairs: 45 -> 990, 14 -> 91, 25 -> 300.

  it('leaves the threshold unchanged for a gallery drawn from the calibration distribution', () => {
    expect(shiftThreshold(curve, t, p, evenly(990, 0, 2), 45)).toEqual({ threshold: expect.closeTo(t, 4), shifted: true, pairs: 990 });
    // 91 pairs: the even grid's median sits at quantile 46/91, so the spread reads 1 + 1/91 and the
    // drop from q = 3/91 to p grows by 1/91 of itself (0.0007).
    expect(Math.abs(shiftThreshold(curve, t, p, evenly(91, 0, 2), 14).threshold - t)).toBeLessThan(0.001);
  });

  it('moves it by δ when every impostor pair of the gallery is δ farther (or nearer)', () => {
    expect(shiftThreshold(curve, t, p, evenly(990, 0.3, 2.3), 45).threshold).toBeCloseTo(t + 0.3, 4);
    expect(shiftThreshold(curve, t, p, evenly(990, -0.001, 1.999), 45).threshold).toBeCloseTo(t - 0.001, 4);
    // 20 identities × 3 images: 1710 image pairs, read at 3 of the 190 identity pairs (rank 27).
    expect(shiftThreshold(curve, t, p, evenly(1710, 0.3, 2.3), 20).threshold).toBeCloseTo(t + 0.3, 3);
  });

  it('leaves it unchanged with too few pairs of identities to read a tail quantile (3/P > 5%)', () => {
    // 5 identities × 3 images: 90 image pairs but 10 identity pairs.
    expect(shiftThreshold(curve, t, p, evenly(90, 0.3, 2.3), 5)).toEqual({ threshold: t, shifted: false, pairs: 90 });
    expect(shiftThreshold(curve, t, p, evenly(55, 0.3, 2.3), 11).shifted).toBe(false);
    expect(shiftThreshold(curve, t, p, evenly(66, 0.3, 2.3), 12).shifted).toBe(true);
  });

  it('does not let one near pair of identities set it: their K² image pairs count as one clump', () => {
    // 20 × 3: one pair of identities 0.05 apart in all 9 image pairs; the rest spread over [0.3, 2.3].
    const pairs = Float64Array.from([...Array<number>(9).fill(0.05), ...evenly(1701, 0.3, 2.3)]);
    expect(shiftThreshold(curve, t, p, pairs, 20).threshold).toBeGreaterThan(0.25);
  });

  it('reads a large gallery at the pairwise FAR itself (p · P >= 3)', () => {
    // 447 identities, 1 image each: 99,681 pairs, k = ceil(p · n) > 3, the gallery's own k-th smallest.
    const pairs = evenly(99_681, 0.3, 2.3);
    const k = Math.ceil(p * pairs.length);
    expect(k).toBeGreaterThan(3);
    expect(shiftThreshold(curve, t, p, pairs, 447).threshold).toBeCloseTo(pairs[k - 1], 3);
  });

  it('widens the drop to the tail by a wider gallery spread, landing on its own quantile at p', () => {
    // Curve uniform on [0.5, 1.5], gallery uniform on [0, 2]: twice the spread, the same median.
    const tNarrow = distanceAtFar(narrowCurve, p);
    expect(tNarrow).toBeCloseTo(0.5 + p, 3);
    expect(shiftThreshold(narrowCurve, tNarrow, p, evenly(300, 0, 2), 25).threshold).toBeCloseTo(2 * p, 3);
  });

  it('never narrows it: a gallery of half the spread keeps the curve’s drop, below its own quantile at p', () => {
    // Gallery uniform on [0.75, 1.25]: X_(3) at q = 0.01 is 0.755; with the curve's drop, 0.755 - (q - p).
    const moved = shiftThreshold(narrowCurve, distanceAtFar(narrowCurve, p), p, evenly(300, 0.75, 1.25), 25);
    expect(moved.threshold).toBeCloseTo(0.755 - (0.01 - p), 3);
    expect(moved.threshold).toBeLessThan(0.75 + 0.5 * p);
  });

  it('stays at or above 0', () => {
    // 15 identities (105 pairs): three tiny pair distances and a far median widen the drop past 0.
    const pairs = Float64Array.from([0.001, 0.001, 0.001, ...evenly(102, 1.9, 2)]);
    expect(shiftThreshold(curve, t, p, pairs, 15).threshold).toBe(0);
  });
});

describe('modelCurvePolicy with shift', () => {
  it('moves the curve threshold to a gallery whose identities all lie √2 apart, and says so', () => {
    // 20 identities × 1 image on orthogonal axes: 190 pairs, all at √2.
    const gallery: GalleryEntry[] = Array.from({ length: 20 }, (_, i) => ({ identity: `id${i}`, vector: axis(i, 20) }));
    const plain = modelCurvePolicy(curve, { count: 'identities', gallery: 'tighten' }).fit(gallery, 0.01);
    const policy = modelCurvePolicy(curve, { count: 'identities', gallery: 'tighten', shift: true });
    const shifted = policy.fit(gallery, 0.01);
    expect(policy.name).toBe('model-curve-identities-shift');
    expect(plain.threshold).toBe(openSetThreshold(curve, 0.01, 20));
    // X_(3) = √2 at q = 3/190 (curve 2q); the median is √2 too, so the spread stays 1.
    expect(shifted.threshold).toBeCloseTo(plain.threshold + Math.SQRT2 - (2 * 3) / 190, 3);
    expect(shifted.evidence).toEqual({ source: 'model-curve-shift', trials: 190, predictedFar: { value: 0.01, lo: null, hi: null } });
  });

  it('keeps the curve threshold for a 5 × 1 gallery (10 pairs)', () => {
    const gallery: GalleryEntry[] = Array.from({ length: 5 }, (_, i) => ({ identity: `id${i}`, vector: axis(i, 5) }));
    const fitted = modelCurvePolicy(curve, { count: 'identities', gallery: 'tighten', shift: true }).fit(gallery, 0.01);
    expect(fitted.threshold).toBe(openSetThreshold(curve, 0.01, 5));
    expect(fitted.evidence.source).toBe('model-curve');
  });
});
