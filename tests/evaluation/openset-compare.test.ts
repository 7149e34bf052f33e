import { describe, expect, it } from 'vitest';
import { compareOpenSet } from '@/lib/evaluation/openset-compare';
import { cellRates, type OpenSetCell } from '@/lib/evaluation/openset';
import type { OpenSetJson } from '@/lib/evaluation/openset-run';

/** One cell whose genuine queries per identity are `queries` and accepted `accepted`. */
function cell(accepted: number[], queries: number[]): OpenSetCell {
  const k = accepted.reduce((a, b) => a + b, 0);
  const n = queries.reduce((a, b) => a + b, 0);
  return {
    policy: 'p', size: 'all', shots: 1, targetFar: 0.01, repeats: 1, galleryIdentities: queries.length, skippedIdentities: 0,
    ...cellRates({ strangerQueries: 100, strangerAccepted: 1, genuineQueries: n, genuineAccepted: k, misidentified: 0, rank1: k, refused: 0 }, 0.01),
    farOverRepeats: { lo: 0.01, hi: 0.01 }, threshold: { mean: 1, min: 1, max: 1 }, sources: {}, meanThresholdTrials: 0,
    genuineByIdentity: Object.fromEntries(queries.map((q, i) => [`id${i}`, { queries: q, accepted: accepted[i] }])),
  };
}

function run(model: string, cells: OpenSetCell[], over: Partial<OpenSetJson> = {}): OpenSetJson {
  return { task: 'openset', data: 'd', model, backend: 'wasm', repeats: 1, seed: 0, strangerShare: 1 / 3, identities: 4, images: 40, refused: 0, excludedIdentities: 0, calibrationOverlap: null, cacheFile: '', cells, ...over };
}

describe('compareOpenSet', () => {
  it('gives candidate minus baseline TAR, pooled over identities, with a bootstrap interval around it', () => {
    const queries = [10, 10, 10, 10];
    const result = compareOpenSet(run('a', [cell([2, 3, 4, 5], queries)]), run('b', [cell([6, 7, 8, 9], queries)]), { resamples: 500, seed: 1 });
    const [g] = result.cells;
    // (6+7+8+9)/40 - (2+3+4+5)/40 = 30/40 - 14/40 = 0.4; every identity gains 0.4, so every resample does too.
    expect(g.tarGain.value).toBeCloseTo(0.4, 10);
    expect(g.tarGain.lo).toBeCloseTo(0.4, 10);
    expect(g.tarGain.hi).toBeCloseTo(0.4, 10);
    expect({ baseline: g.baselineTar, candidate: g.candidateTar, identities: g.identities }).toEqual({ baseline: 0.35, candidate: 0.75, identities: 4 });
  });

  it('widens the interval over 0 when identities disagree', () => {
    const queries = [10, 10, 10, 10];
    const [g] = compareOpenSet(run('a', [cell([0, 10, 0, 10], queries)]), run('b', [cell([10, 0, 10, 0], queries)]), { resamples: 500, seed: 1 }).cells;
    expect(g.tarGain.value).toBe(0);
    expect(g.tarGain.lo).toBeLessThan(0);
    expect(g.tarGain.hi).toBeGreaterThan(0);
  });

  it('pairs two policies of one run cell by cell when asked to', () => {
    const queries = [10, 10, 10, 10];
    const before = { ...cell([2, 3, 4, 5], queries), policy: 'before' };
    const after = { ...cell([3, 3, 4, 6], queries), policy: 'after' };
    const other = { ...cell([9, 9, 9, 9], queries), policy: 'other', shots: 3 };
    const one = run('m', [before, after, other]);
    const result = compareOpenSet(one, one, { resamples: 500, seed: 1, policies: { baseline: 'before', candidate: 'after' } });
    expect(result.cells).toHaveLength(1);
    const [g] = result.cells;
    expect({ policy: g.policy, baselinePolicy: g.baselinePolicy }).toEqual({ policy: 'after', baselinePolicy: 'before' });
    // (3+3+4+6)/40 - (2+3+4+5)/40 = 2/40; no identity loses, so no resample is under 0.
    expect(g.tarGain.value).toBeCloseTo(0.05, 10);
    expect(g.tarGain.lo).toBeGreaterThanOrEqual(0);
    // Without `policies` each policy pairs with itself: three cells, no gain.
    expect(compareOpenSet(one, one, { resamples: 100, seed: 1 }).cells.map((c) => c.tarGain.value)).toEqual([0, 0, 0]);
  });

  it.each([
    { name: 'runs of other seeds', input: { seed: 1 }, error: /differ in seed/ },
    { name: 'runs of other data', input: { data: 'e' }, error: /differ in data/ },
  ])('refuses $name (invalid_args)', ({ input, error }) => {
    const c = cell([1, 1, 1, 1], [10, 10, 10, 10]);
    expect(() => compareOpenSet(run('a', [c]), run('b', [c], input), { resamples: 100, seed: 1 })).toThrow(error);
  });
});
