import { describe, expect, it } from 'vitest';
import { createRng, pairDistances } from '@/lib/calibration';

// Points on a line, so every distance is |a - b|: identity 0 at 0 and 1, identity 1 at 10, 12 and 13.
const line = (...xs: number[]): Float32Array[] => xs.map((x) => Float32Array.of(x, 0));
const byIdentity = [line(0, 1), line(10, 12, 13)];
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

describe('pairDistances', () => {
  it('takes every genuine pair and, without a sample, every impostor pair', () => {
    const { genuine, impostor } = pairDistances(byIdentity);
    expect(sorted(genuine)).toEqual([1, 1, 2, 3]);
    expect(sorted(impostor)).toEqual([9, 10, 11, 12, 12, 13]);
  });

  it('takes every impostor pair when they are no more than the sample size', () => {
    const rng = createRng(1);
    expect(pairDistances(byIdentity, { max: 6, uniform: () => rng.next() }).impostor).toHaveLength(6);
  });

  it('draws distinct impostor pairs when there are more than the sample size', () => {
    // 30 identities x 4 images: 7,140 pairs, 180 genuine, 6,960 impostor.
    const many = Array.from({ length: 30 }, (_, id) => Array.from({ length: 4 }, (_, k) => Float32Array.of(100 * id + k, id * id)));
    const everyImpostor = sorted(pairDistances(many).impostor);
    expect(everyImpostor).toHaveLength(6960);
    const rng = createRng(7);
    const { genuine, impostor } = pairDistances(many, { max: 6959, uniform: () => rng.next() });
    expect(genuine).toHaveLength(180);
    // Drawn without replacement, 6,959 of the 6,960 pairs leave exactly one distance of the full set out.
    const left = [...everyImpostor];
    for (const d of impostor) {
      const at = left.indexOf(d);
      expect(at).toBeGreaterThanOrEqual(0);
      left.splice(at, 1);
    }
    expect(left).toHaveLength(1);
  });
});
