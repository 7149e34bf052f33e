import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExactIndex, euclideanDistance } from '@/lib/index/exact';

describe('euclideanDistance', () => {
  it.each([
    { name: 'l2 3-4-5', space: 'l2' as const, a: [0, 0], b: [3, 4], expected: 5 },
    { name: 'cosine orthogonal -> sqrt 2', space: 'cosine' as const, a: [2, 0], b: [0, 5], expected: Math.SQRT2 },
    { name: 'cosine same direction -> 0', space: 'cosine' as const, a: [1, 1], b: [3, 3], expected: 0 },
  ])('$name', ({ space, a, b, expected }) => {
    expect(euclideanDistance(space, Float32Array.from(a), Float32Array.from(b))).toBeCloseTo(expected, 6);
  });
});

describe('ExactIndex', () => {
  it('returns the k nearest in order, hides deleted labels, grows, and round-trips through save/load', async () => {
    const index = ExactIndex.create({ space: 'l2', dim: 2, maxElements: 2, modelVersion: 'm' });
    for (let i = 0; i < 5; i++) index.add(i, Float32Array.of(i, 0));
    expect(index.capacity).toBeGreaterThanOrEqual(5);
    expect(index.search(Float32Array.of(1.2, 0), 3).map((h) => h.label)).toEqual([1, 2, 0]);
    index.markDelete(1);
    expect(index.search(Float32Array.of(1.2, 0), 2).map((h) => h.label)).toEqual([2, 0]);
    expect(() => index.markDelete(1)).toThrow(/not in the index/);
    const dir = await mkdtemp(path.join(tmpdir(), 'exact-test-'));
    try {
      const file = path.join(dir, 'x.exact');
      await index.save(file);
      const loaded = await ExactIndex.load(file, { dim: 2, modelVersion: 'm' });
      expect(loaded.search(Float32Array.of(3.1, 0), 4)).toEqual(index.search(Float32Array.of(3.1, 0), 4));
      expect(loaded.size).toBe(4);
      await expect(ExactIndex.load(file, { dim: 3 })).rejects.toThrow(/expected dim 3, got 2/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
