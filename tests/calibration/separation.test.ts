// The domain guard's maths (issue 19 item 4) on hand-computed galleries.
import { describe, expect, it } from 'vitest';
import { createRng, MAX_SEPARATION_PAIRS, pairScores, separationOf, type TrialRow } from '@/lib/calibration';

/** A row of identity `identity` at (x, y) (distances are plain Euclidean). */
const row = (identity: string, x: number, y = 0): TrialRow => ({ identity, vector: Float32Array.of(x, y) });

describe('pairScores', () => {
  it('scores every pair of a small gallery by kind, ascending', () => {
    // a at 0 and 1, b at 3 and 5: same-identity pairs |0-1| = 1, |3-5| = 2; the others |0-3|, |0-5|, |1-3|, |1-5| = 3, 5, 2, 4.
    const pairs = pairScores([row('a', 0), row('a', 1), row('b', 3), row('b', 5)]);
    expect(Array.from(pairs.genuine)).toEqual([1, 2]);
    expect(Array.from(pairs.impostor)).toEqual([2, 3, 4, 5]);
    expect(pairs.sampled).toBe(false);
  });

  it('samples a large gallery down to MAX_SEPARATION_PAIRS of each kind, the same way for the same seed', () => {
    const rng = createRng(7);
    const rows = Array.from({ length: 400 }, (_, i) => row(`id-${i % 100}`, rng.next(), rng.next()));
    const a = pairScores(rows, 3);
    expect(a.sampled).toBe(true);
    expect(a.genuine.length).toBe(600); // 100 identities x C(4, 2) = 6 same-identity pairs: all of them
    expect(a.impostor.length).toBe(MAX_SEPARATION_PAIRS);
    expect(pairScores(rows, 3).impostor).toEqual(a.impostor);
  });
});

describe('separationOf', () => {
  // genuine [1, 2] vs impostor [2, 3, 4, 5]: of the 8 (g, i) pairs one is a tie (2, 2),
  // so AUC = (7 + 0.5) / 8 = 0.9375.
  const pairs = { genuine: Float64Array.of(1, 2), impostor: Float64Array.of(2, 3, 4, 5), sampled: false };

  it.each([
    { name: 'separates', input: { identities: 5, modelDistance: 2.5 }, expected: { verdict: 'separates', collapsedShare: 0.25 } },
    { name: 'collapsed: 3 of 4 impostor pairs within the model distance', input: { identities: 5, modelDistance: 4 }, expected: { verdict: 'cannot_separate', collapsedShare: 0.75 } },
    { name: 'too few identities to judge', input: { identities: 4, modelDistance: 4 }, expected: { verdict: 'too_few_identities', collapsedShare: 0.75 } },
  ])('$name', ({ input, expected }) => {
    const s = separationOf(pairs, input.identities, input.modelDistance);
    expect(s).toMatchObject({ ...expected, genuinePairs: 2, impostorPairs: 4, sampled: false, modelDistance: input.modelDistance });
    expect(s.pairwiseAuc).toBeCloseTo(0.9375, 12);
  });

  it('fires under the AUC floor even with nothing collapsed', () => {
    // genuine [3, 4] vs impostor [1, 2, 5]: genuine closer in 2 of 6 pairs, AUC 1/3.
    const s = separationOf({ genuine: Float64Array.of(3, 4), impostor: Float64Array.of(1, 2, 5), sampled: false }, 5, 0.5);
    expect(s).toMatchObject({ verdict: 'cannot_separate', collapsedShare: 0 });
    expect(s.pairwiseAuc).toBeCloseTo(1 / 3, 12);
  });
});
