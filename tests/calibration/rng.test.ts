import { describe, expect, it } from 'vitest';
import { createRng } from '@/lib/calibration/rng';

describe('createRng', () => {
  it('repeats the same sequence for the same seed and differs across seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('continues exactly after setState(getState())', () => {
    const a = createRng(7);
    a.next();
    const saved = a.getState();
    const next3 = [a.next(), a.next(), a.next()];
    const b = createRng(0);
    b.setState(saved);
    expect([b.next(), b.next(), b.next()]).toEqual(next3);
  });

  it('int(n) covers [0, n) roughly uniformly', () => {
    const r = createRng(1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[r.int(4)]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(120);
  });
});
