import { describe, expect, it } from 'vitest';
import { randomIdentities } from '../helpers/random-identities';
import { buildOpenSetTable, effectiveComparisons, openSetTableThreshold, type OpenSetTable } from '@/lib/calibration';

const FARS = [0.08, 0.04, 0.02, 0.01, 0.005];
/** A hand-made 1-shot row: the threshold rises by 0.1 each time the FAR doubles, t(f) = 1 + 0.1·log2(f / 0.005). */
const oneShot = (f: number) => 1 + 0.1 * Math.log2(f / 0.005);

/** A table with 1- and 2-shot rows at 1 and 10 identities; `worth(f)` is the 1-shot FAR the 2-shot row's threshold at f sits at. */
function handMade(worth: (f: number) => number): OpenSetTable {
  const shapes = [1, 10].flatMap((identities) => [
    // More identities: the same curve shifted down (a stranger meets more of them).
    { identities, shots: 1, strangerQueries: 10_000, thresholds: FARS.map((f) => oneShot(f) - (identities === 10 ? 0.2 : 0)) },
    { identities, shots: 2, strangerQueries: 10_000, thresholds: FARS.map((f) => oneShot(worth(f)) - (identities === 10 ? 0.2 : 0)) },
  ]);
  return { aggregate: 'nearest', fars: FARS, shapes, repeats: 1, seed: 0 };
}

describe('openSetTableThreshold', () => {
  const table = handMade((f) => f / 2);
  it('reads a measured shape at a stored FAR', () => {
    expect(openSetTableThreshold(table, 0.02, 1, 1)).toBeCloseTo(oneShot(0.02), 12);
    expect(openSetTableThreshold(table, 0.02, 10, 20)).toBeCloseTo(oneShot(0.01) - 0.2, 12);
  });
  it('interpolates in log FAR and in log N', () => {
    // Halfway between 0.02 and 0.01 in log FAR: halfway between their thresholds.
    expect(openSetTableThreshold(table, Math.sqrt(0.02 * 0.01), 1, 1)).toBeCloseTo((oneShot(0.02) + oneShot(0.01)) / 2, 12);
    // N = sqrt(10) is halfway in log N between the 1- and 10-identity rows (0.2 apart).
    expect(openSetTableThreshold(table, 0.02, Math.sqrt(10), Math.sqrt(10))).toBeCloseTo(oneShot(0.02) - 0.1, 12);
  });
  it('past the largest N, reads it at the FAR scaled by the union bound', () => {
    // 20 identities: the 10-identity row at FAR f · 10/20.
    expect(openSetTableThreshold(table, 0.02, 20, 20)).toBeCloseTo(oneShot(0.01) - 0.2, 12);
  });
  it('reads a measured N at a FAR its larger neighbour could not measure', () => {
    // The 10-identity rows drew too few strangers for the smallest FAR: N = 1 still answers there.
    const sparse: OpenSetTable = { ...table, shapes: table.shapes.map((s) => (s.identities === 10 ? { ...s, thresholds: [...s.thresholds.slice(0, -1), null] } : s)) };
    expect(openSetTableThreshold(sparse, 0.005, 1, 1)).toBeCloseTo(oneShot(0.005), 12);
    expect(openSetTableThreshold(sparse, 0.005, 2, 2)).toBeNull();
  });
  it('answers null outside the measured FARs', () => {
    expect(openSetTableThreshold(table, 0.001, 1, 1)).toBeNull();
  });
});

describe('effectiveComparisons', () => {
  it('counts 2 shots as 2 identities when the 2-shot row sits at half the 1-shot FAR', () => {
    expect(effectiveComparisons(handMade((f) => f / 2), 0.02, 10, 20)).toBeCloseTo(20, 9);
  });
  it('counts 2 shots as 1 identity when the 2-shot row equals the 1-shot row (copies)', () => {
    expect(effectiveComparisons(handMade((f) => f), 0.02, 10, 20)).toBeCloseTo(10, 9);
  });
  it('is N·m with m = f / FAR_1(t) between those', () => {
    // 2-shot threshold at 1-shot FAR f / 1.5: the identity counts as 1.5.
    expect(effectiveComparisons(handMade((f) => f / 1.5), 0.02, 10, 20)).toBeCloseTo(15, 6);
  });
  it('counts 1-shot galleries as their identities', () => {
    expect(effectiveComparisons(handMade((f) => f / 2), 0.02, 7, 7)).toBe(7);
  });
});

describe('buildOpenSetTable', () => {
  // Images of one identity drawn independently are worth K identities; copies are worth one.
  // 90 identities, 30 draws per shape: about 1,800 stranger queries per draw.
  const opts = { identities: [1, 5, 10], shots: [1, 2], repeats: 30, seed: 1 };
  it('measures independent images as worth about K each, and copies as worth one', () => {
    const independent = buildOpenSetTable(randomIdentities(90, 2, 8, false, 2), opts);
    const copies = buildOpenSetTable(randomIdentities(90, 2, 8, true, 2), opts);
    const m = (t: OpenSetTable) => effectiveComparisons(t, 0.05, 5, 10)! / 5;
    expect(m(independent)).toBeGreaterThan(1.6);
    expect(m(copies)).toBeLessThan(1.25);
  });
  it('keeps a third of the identities strangers and stores null where the strangers cannot show the FAR', () => {
    const table = buildOpenSetTable(randomIdentities(9, 2, 8, false, 3), { identities: [1, 6, 7], shots: [1], repeats: 2, seed: 1 });
    expect(table.shapes.map((s) => s.identities)).toEqual([1, 6]);
    // 6 identities in the gallery: max(2, ceil(20 · 2 / 6)) = 7 draws of 3 strangers × 2 images = 42
    // queries, enough to show a FAR f only where 42 >= 3 / f (0.2 and 0.1 of the stored FARs).
    const six = table.shapes[1];
    expect(six.strangerQueries).toBe(42);
    expect(six.thresholds.map((t) => t !== null)).toEqual(table.fars.map((f) => f >= 3 / 42));
  });
});
