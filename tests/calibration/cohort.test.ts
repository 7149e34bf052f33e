import { describe, expect, it } from 'vitest';
import { openSetThreshold, type CalibrationCurve, type GalleryEntry } from '@/lib/calibration';
import { asNorm, cohortNeighbourhood, cohortStats, statsWithout, thresholdFromTrials, unitDistance } from '@/lib/calibration/cohort';
import { wilsonRate } from '@/lib/calibration/wilson';
import { cohortPolicy } from '@/lib/calibration/cohort-policy';
import { modelCurvePolicy } from '@/lib/calibration/model-curve-policy';

const DIM = 8;

/** Unit vector at angle θ from e0 towards e_axis (axis 1..DIM-1): distance to e0 is √(2 − 2cos θ). */
function at(theta: number, axis: number): Float32Array {
  const v = new Float32Array(DIM);
  v[0] = Math.cos(theta);
  v[axis] = Math.sin(theta);
  return v;
}

const E0 = at(0, 1);

/** n cohort members of distinct identities at angles 0.5 + i·0.002 rad from e0 (distances to e0 strictly increasing). */
function fan(n: number, prefix = 'c'): GalleryEntry[] {
  return Array.from({ length: n }, (_, i) => ({ identity: `${prefix}${i}`, vector: at(0.5 + i * 0.002, 1 + (i % (DIM - 1))) }));
}

describe('thresholdFromTrials', () => {
  it('accepts exactly floor(FAR·n) of n distinct trials', () => {
    const scores = Float64Array.from({ length: 1000 }, (_, i) => (i + 1) / 1000);
    const { threshold, accepted } = thresholdFromTrials(scores, 0.01);
    expect(accepted).toBe(10);
    expect(scores.filter((s) => s <= threshold).length).toBe(10);
    expect(threshold).toBeCloseTo(0.0105, 12);
  });

  it('rejects every trial tied with the first rejected one', () => {
    const scores = Float64Array.from([0.1, 0.2, 0.3, 0.3, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
    // floor(0.35 · 10) = 3, but s3 = s4 = 0.3: only 2 can be accepted.
    const { threshold, accepted } = thresholdFromTrials(scores, 0.35);
    expect(accepted).toBe(2);
    expect(scores.filter((s) => s <= threshold).length).toBe(2);
  });

  it('sits below every trial when none may be accepted', () => {
    const { threshold, accepted } = thresholdFromTrials(Float64Array.from([0.4, 0.5]), 0.1);
    expect(accepted).toBe(0);
    expect(threshold).toBeLessThan(0.4);
  });
});

describe('wilsonRate', () => {
  it.each([
    // 0/10: centre = (0 + 0.19208)/1.38416 = 0.13877, half the same -> [0, 0.27753]
    { events: 0, trials: 10, lo: 0, hi: 0.27753 },
    // 5/10: centre 0.5, half = 1.96·√(0.025 + 0.0096040)/1.38416 = 0.26341
    { events: 5, trials: 10, lo: 0.23659, hi: 0.76341 },
  ])('$events of $trials', ({ events, trials, lo, hi }) => {
    const w = wilsonRate(events, trials);
    expect(w.lo).toBeCloseTo(lo, 4);
    expect(w.hi).toBeCloseTo(hi, 4);
  });
});

describe('AS-norm', () => {
  it('gives the same score on a domain whose distances are scaled and shifted (d -> a·d + b)', () => {
    const q = { mean: 0.9, std: 0.05 };
    const g = { mean: 1.1, std: 0.08 };
    const [a, b] = [0.6, 0.3];
    const shifted = (x: { mean: number; std: number }) => ({ mean: a * x.mean + b, std: a * x.std });
    for (const d of [0.4, 0.85, 1.2]) expect(asNorm(a * d + b, shifted(q), shifted(g))).toBeCloseTo(asNorm(d, q, g), 12);
  });

  it('takes the top-k closest cohort distances, leaving out an identity exactly as if it were absent', () => {
    const cohort = [...fan(6), { identity: 'c0', vector: at(0.3, 2) }];
    const identityIndex = Int32Array.from(cohort, (c) => Number(c.identity.slice(1)));
    const hood = cohortNeighbourhood(E0, cohort, 3, identityIndex, 2);
    const top3 = [0.3, 0.5, 0.502].map((t) => Math.sqrt(2 - 2 * Math.cos(t)));
    const mean = top3.reduce((s, x) => s + x, 0) / 3;
    expect(hood.stats.mean).toBeCloseTo(mean, 6);
    const without = cohort.filter((c) => c.identity !== 'c0');
    expect(statsWithout(hood, 3, 0).mean).toBeCloseTo(cohortStats(E0, without, 3).mean, 9);
    expect(cohortStats(E0, cohort, 3, 'c0').std).toBeCloseTo(cohortStats(E0, without, 3).std, 9);
  });
});

describe('cohortPolicy', () => {
  it('raw: exactly floor(FAR·n) of n cohort strangers fall under the threshold of a one-image gallery', () => {
    const cohort = fan(400);
    const gallery = [{ identity: 'g', vector: E0 }];
    const fitted = cohortPolicy(cohort, { k: 10, normalise: false }).fit(gallery, 0.01);
    expect(fitted.evidence.source).toBe('cohort-trials');
    expect(fitted.evidence.trials).toBe(400);
    expect(cohort.filter((c) => fitted.score(c.vector)[0].score <= fitted.threshold).length).toBe(4);
    expect(fitted.evidence.predictedFar.value).toBe(0.01);
    // Between the 4th and 5th closest members: angles 0.506 and 0.508.
    expect(fitted.threshold).toBeGreaterThan(unitDistance(E0, cohort[3].vector));
    expect(fitted.threshold).toBeLessThan(unitDistance(E0, cohort[4].vector));
  });

  it('AS-norm: its trials hold FAR on the cohort itself, with in-gallery trials counted', () => {
    const cohort = fan(400);
    const gallery = [{ identity: 'a', vector: E0 }, { identity: 'b', vector: at(1.2, 3) }];
    const fitted = cohortPolicy(cohort, { k: 20, normalise: true }).fit(gallery, 0.02);
    expect(fitted.evidence.trials).toBe(402);
    expect(fitted.evidence.predictedFar.value).toBeLessThanOrEqual(0.02);
    expect(fitted.evidence.predictedFar.lo).toBeLessThanOrEqual(fitted.evidence.predictedFar.value);
  });

  it('falls back to a threshold below every trial, bounded by 3/n, when trials are fewer than 3/FAR', () => {
    const cohort = fan(30);
    const gallery = [{ identity: 'a', vector: E0 }, { identity: 'b', vector: at(1.2, 3) }];
    // 30 cohort + 2 in-gallery trials < 3/0.01 = 300.
    const fitted = cohortPolicy(cohort, { k: 5, normalise: false }).fit(gallery, 0.01);
    expect(fitted.evidence).toEqual({ source: 'cohort-trials-bound', trials: 32, predictedFar: { value: 3 / 32, lo: 0, hi: 3 / 32 } });
    expect(cohort.filter((c) => fitted.score(c.vector)[0].score <= fitted.threshold)).toEqual([]);
    expect(fitted.threshold).toBeLessThan(unitDistance(E0, cohort[0].vector));
  });

  it('reads the trials at FAR / farMargin and scales the predicted FAR back', () => {
    const cohort = fan(400);
    const gallery = [{ identity: 'g', vector: E0 }];
    const fitted = cohortPolicy(cohort, { k: 10, normalise: false, farMargin: 2 }).fit(gallery, 0.02);
    expect(cohort.filter((c) => fitted.score(c.vector)[0].score <= fitted.threshold).length).toBe(4);
    expect(fitted.evidence.predictedFar.value).toBeCloseTo(0.02, 12);
  });
});

describe('model-curve-images', () => {
  it('converts with the number of gallery images, not identities', () => {
    const curve: CalibrationCurve = { distances: [0, 0.5, 1, 1.5], far: [0, 0.001, 0.01, 0.2], tar: [0, 0.5, 0.9, 1] };
    const gallery = ['a', 'a', 'a', 'b', 'b', 'b'].map((identity, i) => ({ identity, vector: at(0.1 * i, 1 + i) }));
    const fitted = modelCurvePolicy(curve, { count: 'images', gallery: 'tighten' }).fit(gallery, 0.01);
    expect(fitted.threshold).toBe(openSetThreshold(curve, 0.01, 6));
    expect(fitted.threshold).toBeLessThan(openSetThreshold(curve, 0.01, 2));
    expect(fitted.score(E0)[0]).toEqual({ identity: 'a', score: 0 });
  });
});
