import { describe, expect, it } from 'vitest';
import { evaluateVerify } from '@/lib/evaluation/verify';

const item = (identity: string, ...v: number[]) => ({ identity, vector: Float32Array.from(v) });

describe('evaluateVerify', () => {
  // On a line: genuine distances 0.1, 0.5, 0.9 and 10; the nearest impostor pair is 9.1 apart
  // (20.9 and 30), so at pairwise FAR 1e-2 (no impostor of the 24 accepted) TAR is 3/4.
  const items = [item('A', 0), item('A', 0.1), item('B', 10), item('B', 10.5), item('C', 20), item('C', 20.9), item('D', 30), item('D', 40)];

  it('counts every genuine pair and every impostor pair when fewer than asked, and reads TAR at the target FAR', () => {
    const r = evaluateVerify(items, { seed: 0, impostorPairs: 1000, repeats: 3 });
    expect(r.identities).toBe(4);
    expect(r.genuinePairs).toBe(4);
    expect(r.impostorPairs).toBe(24);
    for (const t of r.tarAtFar) {
      expect(t.far).toBe(0);
      expect(t.distance).toBeLessThan(9.1);
      expect(t.tar.value).toBe(0.75);
      expect(t.tar.n).toBe(4);
    }
  });

  it('samples the asked number of distinct impostor pairs, reproducibly per seed', () => {
    const many = Array.from({ length: 60 }, (_, i) => item(`id${i % 20}`, i % 20, Math.floor(i / 20) * 0.01));
    const a = evaluateVerify(many, { seed: 7, impostorPairs: 500, repeats: 1 });
    const b = evaluateVerify(many, { seed: 7, impostorPairs: 500, repeats: 1 });
    expect(a.impostorPairs).toBe(500);
    expect(a).toEqual(b);
  });

  it('scores 1-shot rank-1 over the repeats: perfect clusters give 1 on (images - identities) x repeats queries', () => {
    const r = evaluateVerify(items.slice(0, 6), { seed: 3, impostorPairs: 1000, repeats: 4 });
    expect(r.rank1.value).toBe(1);
    expect(r.rank1.n).toBe(3 * 4);
  });
});
