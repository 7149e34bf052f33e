import { describe, expect, it } from 'vitest';
import { checkIdentityOutlier, checkNearDuplicate, NEAR_DUPLICATE_FRACTION } from '@/lib/faces/verdicts';

/** Unit vector at `deg` degrees in the plane of the first two axes (4-d for brevity). */
function at(deg: number): Float32Array {
  const r = (deg * Math.PI) / 180;
  return Float32Array.from([Math.cos(r), Math.sin(r), 0, 0]);
}
// Chord length between unit vectors at angle a: 2 sin(a / 2).
const chord = (deg: number) => 2 * Math.sin((deg * Math.PI) / 360);

describe('checkNearDuplicate', () => {
  const threshold = 0.8;
  it.each([
    { name: 'same photo again', input: at(1), existing: [at(0), at(60)], expected: 'near_duplicate' },
    { name: 'just above the limit', input: at(5), existing: [at(0)], expected: null }, // chord(5) = 0.087 > 0.08
    { name: 'no images yet', input: at(0), existing: [], expected: null },
  ])('$name', ({ input, existing, expected }) => {
    expect(checkNearDuplicate(input, existing, threshold)?.code ?? null).toBe(expected);
  });

  it('states the distance and the limit (fraction x threshold)', () => {
    const v = checkNearDuplicate(at(2), [at(0)], threshold)!;
    expect(v.severity).toBe('warning');
    expect(v.details!.limit).toBeCloseTo(NEAR_DUPLICATE_FRACTION * threshold, 10);
    expect(v.details!.distance).toBeCloseTo(chord(2), 6);
  });
});

describe('checkIdentityOutlier', () => {
  it.each([
    // Centroid of at(-10), at(10) normalised = at(0); distances: chord(20) = 0.347, chord(80) = 1.286.
    { name: 'close to its identity', input: at(20), others: [at(-10), at(10)], expected: null },
    { name: 'far from its identity', input: at(80), others: [at(-10), at(10)], expected: 'identity_outlier' },
    { name: 'first image of the identity', input: at(80), others: [], expected: null },
  ])('$name', ({ input, others, expected }) => {
    expect(checkIdentityOutlier(input, others, 0.8)?.code ?? null).toBe(expected);
  });

  it('measures the distance to the normalised centroid', () => {
    const v = checkIdentityOutlier(at(80), [at(-10), at(10)], 0.8)!;
    expect(v.details!.distance).toBeCloseTo(chord(80), 5);
    expect(v.message).toContain('0.8000');
  });
});
