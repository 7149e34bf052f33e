import { describe, expect, it } from 'vitest';
import { mineHardNegatives, nearestIdentities, sampleBalancedPairs, sampleGroupedPkEpoch, samplePkEpoch } from '@/lib/training/pairs';
import { createRng } from '@/lib/calibration/rng';

describe('sampleBalancedPairs', () => {
  const counts = [5, 3, 20, 2, 7, 4, 9]; // 7 identities, uneven image counts

  it('returns exactly 50% same and 50% different pairs with consistent labels', () => {
    const pairs = sampleBalancedPairs(createRng(3), counts, 140);
    expect(pairs).toHaveLength(140);
    expect(pairs.filter((p) => p.same)).toHaveLength(70);
    for (const p of pairs) {
      expect(p.same).toBe(p.a.identity === p.b.identity);
      if (p.same) expect(p.a.image).not.toBe(p.b.image);
      expect(p.a.image).toBeLessThan(counts[p.a.identity]);
      expect(p.b.image).toBeLessThan(counts[p.b.identity]);
    }
  });

  it('anchors every identity evenly in each half (140 pairs / 7 identities = 10 each)', () => {
    const pairs = sampleBalancedPairs(createRng(5), counts, 140);
    for (const same of [true, false]) {
      const anchors = counts.map((_, i) => pairs.filter((p) => p.same === same && p.a.identity === i).length);
      expect(anchors).toEqual(counts.map(() => 10));
    }
  });

  it('is reproducible from the seed', () => {
    expect(sampleBalancedPairs(createRng(9), counts, 20)).toEqual(sampleBalancedPairs(createRng(9), counts, 20));
  });

  it('rejects an odd pair count', () => {
    expect(() => sampleBalancedPairs(createRng(1), counts, 7)).toThrow(/even/);
  });
});

describe('samplePkEpoch', () => {
  const counts = Array.from({ length: 50 }, (_, i) => 3 + (i % 5));

  it('gives P distinct identities x K distinct images per batch and seeds every identity once', () => {
    const batches = samplePkEpoch(createRng(1), counts, 8, 3);
    expect(batches).toHaveLength(Math.ceil(50 / 8));
    const seen = new Map<number, number>();
    for (const b of batches) {
      expect(b.refs).toHaveLength(24);
      const ids = [...new Set(b.identities)];
      expect(ids).toHaveLength(8);
      for (const id of ids) {
        const imgs = b.refs.filter((r) => r.identity === id).map((r) => r.image);
        expect(new Set(imgs).size).toBe(3);
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
    }
    // 50 identities in 7 batches of 8 = 56 slots: all 50 appear, 6 are drawn a second time to fill the last batch.
    expect(seen.size).toBe(50);
    expect([...seen.values()].reduce((a, b) => a + b, 0)).toBe(56);
    expect(Math.max(...seen.values())).toBeLessThanOrEqual(2);
  });

  it('puts a seed and its nearest mined identity in the same batch', () => {
    const neighbours = counts.map((_, i) => [(i + 1) % 50]);
    const batches = samplePkEpoch(createRng(2), counts, 10, 2, neighbours, 0.5);
    let together = 0;
    for (const b of batches) {
      const ids = new Set(b.identities);
      for (const id of ids) if (ids.has((id + 1) % 50)) together++;
    }
    // 5 hard slots per batch of 10; without mining, a neighbour would share a batch ~9/49 of the time.
    expect(together).toBeGreaterThanOrEqual(batches.length * 4);
  });
});

describe('mineHardNegatives', () => {
  it('picks the nearest row of another identity', () => {
    const e = [[0, 0], [0.1, 0], [0.3, 0], [5, 5], [5.2, 5]].map((v) => Float32Array.from(v));
    expect(mineHardNegatives(e, [0, 0, 1, 2, 2])).toEqual([2, 2, 1, 2, 2]);
  });
});

describe('nearestIdentities', () => {
  it('orders other identities by centroid distance, nearest first', () => {
    const c = [[0], [1], [3], [10]].map((v) => Float32Array.from(v));
    expect(nearestIdentities(c, 2)).toEqual([[1, 2], [0, 2], [1, 0], [2, 1]]);
  });
});

describe('sampleGroupedPkEpoch', () => {
  it('draws P / groupsPerBatch identities from each of groupsPerBatch groups, evenly over the epoch', () => {
    const groupOf = Array.from({ length: 48 }, (_, i) => i % 6); // 6 groups x 8 identities
    const counts = groupOf.map(() => 5);
    const batches = sampleGroupedPkEpoch(createRng(4), counts, groupOf, 8, 2, 2);
    expect(batches).toHaveLength(6);
    const seen = new Map<number, number>();
    for (const b of batches) {
      const ids = [...new Set(b.identities)];
      expect(ids).toHaveLength(8);
      const groups = new Map<number, number>();
      for (const id of ids) groups.set(groupOf[id], (groups.get(groupOf[id]) ?? 0) + 1);
      expect([...groups.values()]).toEqual([4, 4]);
      for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    // 48 slots over 48 identities, each group's members visited in cycles: every identity once.
    expect(seen.size).toBe(48);
  });

  it('takes every identity of a group smaller than P / groupsPerBatch and fills the batch from other groups', () => {
    const groupOf = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2]; // group 2 has 2 identities, P / groups = 3
    const counts = groupOf.map(() => 4);
    const batches = Array.from({ length: 20 }, (_, s) => sampleGroupedPkEpoch(createRng(s), counts, groupOf, 6, 2, 2)).flat();
    const withSmall = batches.filter((b) => b.identities.some((id) => groupOf[id] === 2));
    expect(withSmall.length).toBeGreaterThan(0);
    for (const b of batches) expect(new Set(b.identities).size).toBe(6);
    for (const b of withSmall) {
      const perGroup = new Map<number, number>();
      for (const id of new Set(b.identities)) perGroup.set(groupOf[id], (perGroup.get(groupOf[id]) ?? 0) + 1);
      expect(perGroup.get(2)).toBe(2);
    }
  });

  it('rejects more groups per batch than the data has', () => {
    expect(() => sampleGroupedPkEpoch(createRng(1), [3, 3], [0, 0], 2, 2, 2)).toThrow(/groups/);
  });
});
