import { describe, expect, it } from 'vitest';
import { calibrate, modelCurvePolicy, nearestPerIdentity, type OpenSetPolicy } from '@/lib/calibration';
import { cellRates, evaluateOpenSet, measuredName, measuredThreshold, repeatBootstrap, type OpenSetCell, type OpenSetIdentity, type UnavailableCell } from '@/lib/evaluation/openset';

const DIM = 10;
const axis = (i: number) => Float32Array.from({ length: DIM }, (_, k) => (k === i ? 1 : 0));
// Unit centroid of axes 0..8: its distance to each of them is sqrt(2 - 2/3) = 1.1547, while two axes are sqrt(2) = 1.414 apart.
const CENTROID = Float32Array.from({ length: DIM }, (_, k) => (k < 9 ? 1 / 3 : 0));
const THRESHOLD = 1.3;

/** Match when the nearest image is within a fixed distance (an open-set policy with nothing to fit). */
const fixedPolicy: OpenSetPolicy = {
  name: 'fixed-1.3',
  fit: (gallery) => ({ threshold: THRESHOLD, evidence: { source: 'fixed', trials: 0, predictedFar: { value: 0, lo: null, hi: null } }, score: (q) => nearestPerIdentity(gallery, q) }),
};

// 9 identities with 3 images on their own axis and 1 refused image; 3 look-alikes with one image at
// the centroid, within the threshold of every axis. A look-alike never has the 2 usable images a
// 1-shot gallery needs, so it only ever plays a stranger, and then it is accepted; a normal stranger
// is sqrt(2) from every gallery image and rejected. 12 identities: 4 strangers per repeat.
const identities: OpenSetIdentity[] = [
  ...Array.from({ length: 9 }, (_, i) => ({ name: `id${i}`, images: [axis(i), axis(i), axis(i), null] })),
  ...Array.from({ length: 3 }, (_, i) => ({ name: `look${i}`, images: [CENTROID] })),
];
const REPEATS = 20;

describe('evaluateOpenSet', () => {
  const cells = evaluateOpenSet(identities, { sizes: ['all', 100], shots: [1], fars: [0.1, 0.01], policies: [fixedPolicy], repeats: REPEATS, seed: 3 });
  const cell = (size: number | 'all', far: number) => cells.find((c) => c.size === size && c.targetFar === far)!;

  it('accepts exactly the look-alike strangers, and every genuine query with its own identity', () => {
    const c = cell('all', 0.1) as OpenSetCell;
    // k look-alike stranger draws give k accepted queries out of 3 (4R - k) + k = 12R - 2k stranger queries.
    const k = c.far.k;
    expect(k).toBeGreaterThan(0);
    expect(k).toBeLessThan(3 * REPEATS);
    expect(c.far.n).toBe(12 * REPEATS - 2 * k);
    expect(c.far.value).toBe(k / c.far.n);
    // Gallery: the 9 - (4 - L) normal non-strangers, i.e. 5R + k over repeats, each with 2 genuine queries.
    expect(c.galleryIdentities * REPEATS).toBe(5 * REPEATS + k);
    expect(c.tar).toMatchObject({ k: 2 * (5 * REPEATS + k), n: 2 * (5 * REPEATS + k), value: 1 });
    expect(c.misidentified.k).toBe(0);
    expect(c.rank1.value).toBe(1);
    // Look-alikes drawn into the gallery side are skipped: 3R - k in all.
    expect(c.skippedIdentities * REPEATS).toBeCloseTo(3 * REPEATS - k, 9);
    // One refused image per normal identity, gallery or stranger: 9 per repeat, out of every query image.
    expect(c.refused).toEqual({ count: 9 * REPEATS, of: c.far.n + c.tar.n + 9 * REPEATS, share: (9 * REPEATS) / (c.far.n + c.tar.n + 9 * REPEATS) });
    expect(c.threshold).toMatchObject({ min: THRESHOLD, max: THRESHOLD });
    expect(c.threshold.mean).toBeCloseTo(THRESHOLD, 12);
    expect(c.sources).toEqual({ fixed: REPEATS });
  });

  it('judges a cell by its stranger queries (>= 3 / target) and marks FAR > 1.5 x target', () => {
    const loose = cell('all', 0.1) as OpenSetCell;
    const tight = cell('all', 0.01) as OpenSetCell;
    expect(loose.far.n).toBeGreaterThanOrEqual(30);
    expect(loose.judged).toBe(true);
    expect(tight.far.n).toBeLessThan(300);
    expect(tight.judged).toBe(false);
    expect(loose.over).toBe(loose.far.value > 0.15);
    expect(tight.over).toBe(true);
    expect(tight.farOverTarget).toBeCloseTo(tight.far.value / 0.01, 12);
  });

  it('gives the FAR an interval over repeats that holds the pooled FAR, and a point when every repeat reads the same', () => {
    const c = cell('all', 0.1) as OpenSetCell;
    expect(c.farOverRepeats.lo).toBeLessThanOrEqual(c.far.value);
    expect(c.farOverRepeats.hi).toBeGreaterThanOrEqual(c.far.value);
    expect(c.farOverRepeats.hi).toBeGreaterThan(c.farOverRepeats.lo);
    expect(repeatBootstrap([{ k: 1, n: 10 }, { k: 2, n: 20 }, { k: 3, n: 30 }], 1)).toEqual({ lo: 0.1, hi: 0.1 });
  });

  it('widens the interval over repeats when the acceptances come from one repeat (clumps Wilson cannot see)', () => {
    // 20 repeats of 100 stranger queries, every acceptance in one of them: pooled 10 / 2,000.
    const clumped = [{ k: 10, n: 100 }, ...Array.from({ length: 19 }, () => ({ k: 0, n: 100 }))];
    const spread = Array.from({ length: 20 }, (_, i) => ({ k: i < 10 ? 1 : 0, n: 100 }));
    const a = repeatBootstrap(clumped, 1);
    const b = repeatBootstrap(spread, 1);
    // Drawing no copy of the one repeat has chance (19/20)^20 = 36%: the lower end is 0.
    expect(a.lo).toBe(0);
    expect(a.hi - a.lo).toBeGreaterThan(b.hi - b.lo);
    expect(b.lo).toBeGreaterThan(0);
  });

  it('says why a gallery size cannot be drawn', () => {
    expect((cell(100, 0.1) as UnavailableCell).unavailable).toMatch(/^needs 100 identities with >= 2 usable images; repeat 0 had \d$/);
  });

  it('counts the same whether a policy reuses its score function across FARs or not', () => {
    const curve = calibrate([0.1, 0.2, 0.3], [1.1, 1.2, 1.3, 1.4]).curve;
    const reusing = modelCurvePolicy(curve, { count: 'identities', gallery: 'replace' });
    // The same policy, with a fresh score function on every fit.
    const fresh: OpenSetPolicy = { name: reusing.name, fit: (g, far) => ({ ...reusing.fit(g, far), score: (q) => nearestPerIdentity(g, q) }) };
    const run = (policy: OpenSetPolicy) => evaluateOpenSet(identities, { sizes: ['all', 5], shots: [1, 2], fars: [0.1, 0.01], policies: [policy], repeats: 4, seed: 9 });
    expect(run(reusing)).toEqual(run(fresh));
  });

  it('draws the same cells from the same seed', () => {
    expect(evaluateOpenSet(identities, { sizes: ['all'], shots: [1], fars: [0.1], policies: [fixedPolicy], repeats: REPEATS, seed: 3 })[0]).toEqual(cell('all', 0.1));
  });
});

describe('cellRates', () => {
  it.each([
    {
      name: 'over the bound, judged',
      counts: { strangerQueries: 300, strangerAccepted: 5, genuineQueries: 50, genuineAccepted: 40, misidentified: 2, rank1: 45, refused: 10 },
      targetFar: 0.01,
      expected: { farOverTarget: 5 / 300 / 0.01, judged: true, over: true, refused: { count: 10, of: 360, share: 10 / 360 } },
    },
    {
      name: 'at 1.5 x target exactly: not over; 299 strangers: not judged',
      counts: { strangerQueries: 200, strangerAccepted: 3, genuineQueries: 10, genuineAccepted: 10, misidentified: 0, rank1: 10, refused: 0 },
      targetFar: 0.01,
      expected: { farOverTarget: 3 / 200 / 0.01, judged: false, over: false, refused: { count: 0, of: 210, share: 0 } },
    },
  ])('$name', ({ counts, targetFar, expected }) => {
    const r = cellRates(counts, targetFar);
    expect(r).toMatchObject(expected);
    // Refused images are in no denominator of the rates.
    expect(r.far).toMatchObject({ k: counts.strangerAccepted, n: counts.strangerQueries });
    expect(r.tar).toMatchObject({ k: counts.genuineAccepted, n: counts.genuineQueries });
    expect(r.misidentified).toMatchObject({ k: counts.misidentified, n: counts.genuineQueries });
    expect(r.rank1).toMatchObject({ k: counts.rank1, n: counts.genuineQueries });
  });
});

describe('measuredThreshold', () => {
  const accepted = (scores: number[], t: number) => scores.filter((s) => s <= t).length;
  it('is the largest threshold accepting at most floor(far x n) strangers; a tie at the boundary is rejected whole', () => {
    const scores = [0.9, 0.2, 0.5, 0.7, 0.3, 0.8, 0.4, 0.6, 0.35, 0.45];
    for (const [far, allowed, next] of [[0.1, 1, 0.3], [0.25, 2, 0.35], [0.05, 0, 0.2]]) {
      const t = measuredThreshold(scores, far);
      expect(accepted(scores, t)).toBe(allowed);
      expect(t).toBeLessThan(next);
      expect(t).toBeGreaterThan(next - 1e-12);
    }
    const tied = [0.1, 0.2, 0.2, 0.5];
    expect(accepted(tied, measuredThreshold(tied, 0.5))).toBe(1); // 2 allowed, but 0.2 would take 3
    expect(measuredThreshold([0, 1], 0.1)).toBeLessThan(0);
    expect(measuredThreshold([0.3], 1)).toBe(Infinity);
  });
});

describe('evaluateOpenSet with measured cells', () => {
  const cells = evaluateOpenSet(identities, { sizes: ['all'], shots: [1], fars: [0.1], policies: [fixedPolicy], measured: true, repeats: REPEATS, seed: 3 });
  const [fixed, measured] = [fixedPolicy.name, measuredName(fixedPolicy.name)].map((p) => cells.find((c) => c.policy === p) as OpenSetCell);

  it("draws the same trials as the policy's cell, with each repeat's threshold read from its strangers", () => {
    expect(measured.far.n).toBe(fixed.far.n);
    expect(measured.tar.n).toBe(fixed.tar.n);
    expect(measured.rank1).toEqual(fixed.rank1);
    expect(measured.sources).toEqual({ strangers: REPEATS });
    // The look-alikes (at 1.1547) are the only strangers the fixed threshold accepts; 10% of a
    // repeat's 8-12 stranger queries allows at most one, so the measured cell accepts fewer.
    expect(measured.far.k).toBeLessThan(fixed.far.k);
    expect(measured.far.value).toBeLessThanOrEqual(0.1);
    // A genuine query is 0 from its gallery image, below every stranger: every one is still accepted.
    expect(measured.tar.value).toBe(1);
    expect(measured.threshold.min).toBeLessThan(Math.SQRT2);
  });
});
