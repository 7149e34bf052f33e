import { describe, expect, it } from 'vitest';
import { decide, groupByIdentity, type Neighbour } from '@/lib/calibration';

const n = (identityId: string, distance: number): Neighbour => ({ identityId, name: `name-${identityId}`, distance });

describe('decide', () => {
  it.each([
    {
      name: 'empty -> unknown with distance null',
      input: { neighbours: [], threshold: 0.5 },
      expected: { match: false, identityId: null, name: null, distance: null, threshold: 0.5, neighbours: [] },
    },
    {
      name: 'best under threshold -> match',
      input: { neighbours: [n('a', 0.3), n('b', 0.2), n('a', 0.1)], threshold: 0.5 },
      expected: { match: true, identityId: 'a', name: 'name-a', distance: 0.1, threshold: 0.5, neighbours: [n('a', 0.1), n('b', 0.2)] },
    },
    {
      name: 'best over threshold -> unknown, distance still given',
      input: { neighbours: [n('b', 0.9), n('a', 0.7)], threshold: 0.5 },
      expected: { match: false, identityId: null, name: null, distance: 0.7, threshold: 0.5, neighbours: [n('a', 0.7), n('b', 0.9)] },
    },
    {
      name: 'equality matches (accept when distance <= threshold, as calibration counts far)',
      input: { neighbours: [n('c', 0.5)], threshold: 0.5 },
      expected: { match: true, identityId: 'c', name: 'name-c', distance: 0.5, threshold: 0.5, neighbours: [n('c', 0.5)] },
    },
    {
      name: 'many examples of one identity collapse to its best',
      input: { neighbours: [n('x', 0.4), n('x', 0.35), n('y', 0.36), n('x', 0.8)], threshold: 0.3 },
      expected: { match: false, identityId: null, name: null, distance: 0.35, threshold: 0.3, neighbours: [n('x', 0.35), n('y', 0.36)] },
    },
  ])('$name', ({ input, expected }) => {
    expect(decide(input.neighbours, input.threshold)).toEqual(expected);
  });
});

describe('groupByIdentity', () => {
  it('breaks distance ties by identityId so the order is stable', () => {
    expect(groupByIdentity([n('b', 0.2), n('a', 0.2)]).map((g) => g.identityId)).toEqual(['a', 'b']);
  });
});
