import { describe, expect, it } from 'vitest';
import { randomIdentities } from '../helpers/random-identities';
import { buildOpenSetTable, calibrate, centroidOf, centroidScores, computeTrialsNow, galleryCentroids, modelCurvePolicy, type GalleryEntry, type OpenSetTable } from '@/lib/calibration';

const v = (...xs: number[]) => Float32Array.from(xs);
const S = Math.SQRT1_2;

describe('centroidOf', () => {
  it('is the vector itself for one image', () => {
    const x = v(0.6, 0.8);
    expect(centroidOf([x])).toBe(x);
  });
  it('is the normalised mean: two orthogonal unit vectors give their bisector', () => {
    const c = centroidOf([v(1, 0), v(0, 1)]);
    expect(c[0]).toBeCloseTo(S, 7);
    expect(c[1]).toBeCloseTo(S, 7);
  });
  it('keeps the zero vector when the images cancel exactly', () => {
    expect([...centroidOf([v(1, 0), v(-1, 0)])]).toEqual([0, 0]);
  });
});

describe('centroidScores', () => {
  it('scores each identity by its centroid, ascending', () => {
    // a's images sit either side of the query (each 1.08 away, 0.96 apart), b's one image is 0.9 away:
    // by nearest image b wins; by centroid a does (its centroid is the query itself).
    const q = v(0, 1);
    const gallery: GalleryEntry[] = [
      { identity: 'a', vector: v(0.8, 0.6) },
      { identity: 'a', vector: v(-0.8, 0.6) },
      { identity: 'b', vector: v(Math.sqrt(1 - 0.595 ** 2), 0.595) },
    ];
    const scores = centroidScores(galleryCentroids(gallery), q);
    expect(scores.map((s) => s.identity)).toEqual(['a', 'b']);
    expect(scores[0].score).toBeCloseTo(0, 7);
    expect(scores[1].score).toBeCloseTo(Math.sqrt(2 - 2 * 0.595), 6);
  });
});

describe('gallery trials by centroid', () => {
  it('scores a query against its own identity without it, and against the other identities by centroid', () => {
    const gallery = [
      { identity: 'a', vector: v(1, 0, 0) },
      { identity: 'a', vector: v(0, 1, 0) },
      { identity: 'a', vector: v(0, 0, 1) },
      { identity: 'b', vector: v(-1, 0, 0) },
      { identity: 'b', vector: v(0, -1, 0) },
    ];
    const t = computeTrialsNow(gallery, 1, 'centroid');
    // a's (1,0,0) against its others' centroid (0, S, S): sqrt(2); against b's centroid (-S, -S, 0):
    // sqrt(2 + 2S). a's (0,0,1): own centroid (S, S, 0) at sqrt(2), b's at sqrt(2).
    // b's (-1,0,0): own (0,-1,0) at sqrt(2); a's centroid (1,1,1)/sqrt(3) at sqrt(2 + 2/sqrt(3)).
    const own = Math.SQRT2;
    expect([...t.genuine].map((x) => x.toFixed(6))).toEqual(Array(5).fill(own.toFixed(6)));
    const other = [Math.sqrt(2 + 2 * S), Math.sqrt(2 + 2 * S), Math.SQRT2, Math.sqrt(2 + 2 / Math.sqrt(3)), Math.sqrt(2 + 2 / Math.sqrt(3))].sort((x, y) => x - y);
    [...t.impostor].forEach((x, i) => expect(x).toBeCloseTo(other[i], 6));
    // By nearest image every impostor score is sqrt(2) (all the vectors are orthogonal or opposite).
    expect([...computeTrialsNow(gallery, 1, 'nearest').impostor].every((x) => Math.abs(x - Math.SQRT2) < 1e-6)).toBe(true);
  });
});

describe('an open-set table scored by centroid', () => {
  const opts = { identities: [1, 5], shots: [1, 2], repeats: 10, seed: 1 };
  it('equals the nearest-image table when an identity is copies of one image', () => {
    const copies = randomIdentities(30, 2, 8, true, 4);
    const byCentroid = buildOpenSetTable(copies, { ...opts, aggregate: 'centroid' });
    const byNearest = buildOpenSetTable(copies, { ...opts, aggregate: 'nearest' });
    expect(byCentroid.aggregate).toBe('centroid');
    byCentroid.shapes.forEach((s, i) => s.thresholds.forEach((t, j) => expect(t).toBeCloseTo(byNearest.shapes[i].thresholds[j]!, 6)));
  });
  it('makes the policy score by centroid', () => {
    const curve = calibrate([0.1, 0.2], Array.from({ length: 100 }, (_, i) => (2 * (i + 0.5)) / 100)).curve;
    const table: OpenSetTable = buildOpenSetTable(randomIdentities(30, 2, 8, false, 5), { ...opts, aggregate: 'centroid' });
    const gallery: GalleryEntry[] = [
      { identity: 'a', vector: v(1, 0) },
      { identity: 'a', vector: v(0, 1) },
    ];
    const fitted = modelCurvePolicy(curve, { count: 'table', gallery: 'tighten', table }).fit(gallery, 0.01);
    expect(fitted.score(v(S, S))[0].score).toBeCloseTo(0, 6);
  });
});
