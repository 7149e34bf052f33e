import { describe, expect, it } from 'vitest';
import type { Dataset } from '@/lib/datasets/types';
import { splitIdentities } from '@/lib/training/data';

const DATA: Dataset = {
  name: 'vectors:test',
  spec: { type: 'vector', dim: 2 },
  identities: Array.from({ length: 20 }, (_, i) => ({ identity: `id${i}`, group: '', images: [Float32Array.of(i, 1)] })),
};

describe('splitIdentities', () => {
  it.each([
    { name: 'no evaluation share: every identity trains or is held out', input: 0, expected: { train: 16, heldOut: 4, unseen: 0 } },
    { name: 'an evaluation share leaves identities out of both', input: 0.35, expected: { train: 9, heldOut: 4, unseen: 7 } },
  ])('$name', ({ input, expected }) => {
    const split = splitIdentities(DATA, 0.2, 3, input);
    const seen = new Set([...split.trainNames, ...split.heldOutNames]);
    expect({ train: split.trainNames.length, heldOut: split.heldOutNames.length, unseen: DATA.identities.length - seen.size }).toEqual(expected);
    expect(split.trainNames.filter((n) => split.heldOutNames.includes(n))).toEqual([]);
  });

  it('draws the same held-out identities whatever the evaluation share (old runs keep their split)', () => {
    expect(splitIdentities(DATA, 0.2, 3, 0.35).heldOutNames).toEqual(splitIdentities(DATA, 0.2, 3).heldOutNames);
  });
});
