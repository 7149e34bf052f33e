import { describe, expect, it } from 'vitest';
import { createUniform, gaussian } from '@/lib/evaluation/random';
import {
  aucOf,
  calibrate,
  eerOf,
  openSetThreshold,
  pairwiseFarForOpenSet,
  rocCurve,
  type CalibrationCurve,
} from '@/lib/calibration';

function bruteCount(values: number[], d: number): number {
  return values.filter((v) => v <= d).length;
}

function seededDistances(seed: number, n: number, mean: number, sd: number): number[] {
  const rng = createUniform(seed);
  return Array.from({ length: n }, () => Math.min(2, Math.max(0, mean + sd * gaussian(rng))));
}

describe('pairwiseFarForOpenSet', () => {
  // p = 1 - (1 - FAR)^(1/N)
  it.each([
    { name: 'N = 1 keeps the rate', far: 0.01, n: 1, expected: 0.01 },
    // ln(0.99) = -0.0100503359; /10 = -0.00100503359; 1 - e^that = 0.00100452871
    { name: 'N = 10', far: 0.01, n: 10, expected: 0.00100452871 },
    // ln(0.99)/100 = -0.000100503359; 1 - e^that = 0.000100498308
    { name: 'N = 100', far: 0.01, n: 100, expected: 0.000100498308 },
    // ln(0.9)/3 = -0.0351201719; 1 - e^that = 0.0345106154
    { name: 'FAR 0.1, N = 3', far: 0.1, n: 3, expected: 0.0345106154 },
  ])('$name', ({ far, n, expected }) => {
    const p = pairwiseFarForOpenSet(far, n);
    expect(p).toBeCloseTo(expected, 10);
    // Round trip: a stranger compared with N identities is accepted with 1 - (1 - p)^N = FAR.
    expect(1 - (1 - p) ** n).toBeCloseTo(far, 12);
  });

  it('rejects a FAR outside (0, 1) and comparisons that are not positive', () => {
    expect(() => pairwiseFarForOpenSet(0, 5)).toThrow(/open-set FAR/);
    expect(() => pairwiseFarForOpenSet(0.01, 0)).toThrow(/comparisons counted must be positive/);
    expect(() => pairwiseFarForOpenSet(0.01, Number.NaN)).toThrow(/comparisons counted must be positive/);
  });
  it('takes fractional comparisons (a centroid identity can count under one): p = 1 - (1 - FAR)^(1/C)', () => {
    // C = 0.5: p = 1 - 0.99^2 = 0.0199.
    expect(pairwiseFarForOpenSet(0.01, 0.5)).toBeCloseTo(0.0199, 12);
  });
});

describe('openSetThreshold', () => {
  const curve: CalibrationCurve = {
    distances: [0, 0.5, 1.0, 1.5],
    far: [0, 0.001, 0.01, 0.1],
    tar: [0, 0.5, 0.9, 1],
  };

  it('reads the distance whose pairwise FAR equals p when N = 1', () => {
    // p = 0.01 (up to rounding) -> far[2] = 0.01 -> distance 1.0
    expect(openSetThreshold(curve, 0.01, 1)).toBeCloseTo(1.0, 6);
  });

  it('interpolates between the samples around p for a gallery of 10', () => {
    // p = 0.00100452871 lies between far 0.001 (d 0.5) and 0.01 (d 1.0):
    // d = 0.5 + (0.00100452871 - 0.001) / 0.009 * 0.5 = 0.500251595
    expect(openSetThreshold(curve, 0.01, 10)).toBeCloseTo(0.500251595, 8);
  });

  it('gets stricter as the gallery grows', () => {
    const t = [1, 10, 100, 1000].map((n) => openSetThreshold(curve, 0.01, n));
    for (let i = 1; i < t.length; i++) expect(t[i]).toBeLessThan(t[i - 1]);
  });

  it('returns the last distance when every impostor is under it', () => {
    expect(openSetThreshold({ distances: [0, 1], far: [0, 0.001], tar: [0, 1] }, 0.5, 1)).toBe(1);
  });
});

describe('aucOf', () => {
  it.each([
    { name: 'perfectly separated', genuine: [0.1, 0.2, 0.3], impostor: [0.5, 0.9, 1.2], expected: 1 },
    { name: 'reversed', genuine: [0.5, 0.9], impostor: [0.1, 0.2], expected: 0 },
    { name: 'identical distributions (ties count 1/2)', genuine: [0.3, 0.6], impostor: [0.3, 0.6], expected: 0.5 },
    // pairs (g, i): (0.2,0.1)=0 (0.2,0.4)=1 (0.5,0.1)=0 (0.5,0.4)=0 -> 1/4
    { name: 'hand-counted', genuine: [0.2, 0.5], impostor: [0.1, 0.4], expected: 0.25 },
  ])('$name', ({ genuine, impostor, expected }) => {
    expect(aucOf(genuine, impostor)).toBeCloseTo(expected, 12);
  });
});

describe('eerOf', () => {
  it('finds FAR = FRR on a known case', () => {
    // At d = 0.35: FAR = 1/4 (0.35), FRR = 1/4 (0.4 rejected) -> EER 0.25.
    expect(eerOf([0.1, 0.2, 0.3, 0.4], [0.35, 0.5, 0.6, 0.7])).toBeCloseTo(0.25, 12);
  });

  it('is 0 for separated and 0.5 for identical samples', () => {
    expect(eerOf([0.1, 0.2], [0.8, 0.9])).toBe(0);
    expect(eerOf([0.2, 0.4, 0.6, 0.8], [0.2, 0.4, 0.6, 0.8])).toBeCloseTo(0.5, 12);
  });
});

describe('calibrate', () => {
  const genuine = seededDistances(1, 500, 0.6, 0.15);
  const impostor = seededDistances(2, 5000, 1.2, 0.15);
  const cal = calibrate(genuine, impostor);

  it('stores FAR/TAR equal to brute-force counts at every curve point', () => {
    const { distances, far, tar } = cal.curve;
    expect(distances.length).toBe(far.length);
    for (let i = 0; i < distances.length; i++) {
      if (i > 0) expect(distances[i]).toBeGreaterThan(distances[i - 1]);
      expect(far[i]).toBe(bruteCount(impostor, distances[i]) / impostor.length);
      expect(tar[i]).toBe(bruteCount(genuine, distances[i]) / genuine.length);
    }
  });

  it('keeps every threshold within its target and carries the pair counts', () => {
    const { far1e2, far1e3, maxBalancedAccuracy } = cal.thresholds;
    for (const [point, target] of [[far1e2, 1e-2], [far1e3, 1e-3]] as const) {
      expect(point.far).toBe(bruteCount(impostor, point.distance) / impostor.length);
      expect(point.far).toBeLessThanOrEqual(target);
      expect(point.impostorPairs).toBe(5000);
      expect(point.genuinePairs).toBe(500);
      // Largest such distance: the next impostor distance above it would exceed the target.
      const next = impostor.filter((v) => v > point.distance).sort((a, b) => a - b)[0];
      expect(bruteCount(impostor, next) / impostor.length).toBeGreaterThan(target);
    }
    expect(far1e3.distance).toBeLessThan(far1e2.distance);
    expect(maxBalancedAccuracy.tar).toBe(bruteCount(genuine, maxBalancedAccuracy.distance) / genuine.length);
    expect(cal.auc).toBeGreaterThan(0.98);
    expect(cal.eer).toBeLessThan(0.05);
    expect(cal.genuinePairs).toBe(500);
    expect(cal.impostorPairs).toBe(5000);
  });

  it('finds the perfect balanced-accuracy threshold between separated samples', () => {
    const c = calibrate([0.1, 0.2, 0.3], [0.7, 0.8]);
    expect(c.thresholds.maxBalancedAccuracy).toEqual({ distance: 0.5, far: 0, tar: 1, impostorPairs: 2, genuinePairs: 3 });
    expect(c.auc).toBe(1);
    expect(c.eer).toBe(0);
  });

  it('rejects empty or non-finite input', () => {
    expect(() => calibrate([], [1])).toThrow(/genuine/);
    expect(() => calibrate([0.1, Number.NaN], [1])).toThrow(/finite/);
  });
});

describe('rocCurve', () => {
  it('is monotone, starts at 0 and ends at (1, 1), thinned to maxPoints', () => {
    const roc = rocCurve(seededDistances(3, 3000, 0.6, 0.2), seededDistances(4, 3000, 1.1, 0.2), 200);
    expect(roc.distances.length).toBe(200);
    expect(roc.far[0]).toBe(0);
    expect(roc.far.at(-1)).toBe(1);
    expect(roc.tar.at(-1)).toBe(1);
    for (let i = 1; i < roc.far.length; i++) {
      expect(roc.far[i]).toBeGreaterThanOrEqual(roc.far[i - 1]);
      expect(roc.tar[i]).toBeGreaterThanOrEqual(roc.tar[i - 1]);
    }
  });
});
