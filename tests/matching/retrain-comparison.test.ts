// The retraining job's split and comparisons (lib/matching/models): identities held out whole, and
// a share of each training identity's images held out of training for the trained-identity comparison.
import { describe, expect, it } from 'vitest';
import { calibrate } from '@/lib/calibration';
import { compareModels } from '@/lib/matching/models/comparison';
import { splitGallery, TRAINED_QUERY_SHARE, type GalleryIdentity } from '@/lib/matching/models/gallery-dataset';

/** Identity i's images: `n` one-hot vectors tagged by (identity, image) so a test can tell them apart. */
function identity(i: number, n: number): GalleryIdentity {
  return { identity: `id${i}`, name: `name${i}`, group: 'gallery', images: Array.from({ length: n }, (_, j) => Float32Array.of(i, j)) };
}

describe('splitGallery', () => {
  const gallery = [2, 3, 4, 8, 8, 8, 8, 8, 8, 8].map((n, i) => identity(i, n));
  const split = splitGallery(gallery, { evaluation: 0.3, calibration: 0.2 }, 1);

  it('holds out whole identities for evaluation and calibration, and a share of each training identity with 3+ images', () => {
    expect(split.evaluation).toHaveLength(3);
    expect(split.calibration).toHaveLength(2);
    expect(split.train).toHaveLength(5);
    for (const g of split.train) {
      const original = gallery.find((o) => o.identity === g.identity)!;
      const held = split.trainedQueries.find((q) => q.identity === g.identity)?.images ?? [];
      const n = original.images.length;
      expect(held).toHaveLength(n >= 3 ? Math.max(1, Math.round(n * TRAINED_QUERY_SHARE)) : 0);
      expect(g.images.length).toBeGreaterThanOrEqual(2);
      // Every image lands on exactly one side.
      expect([...g.images, ...held].map((v) => v[1]).sort((a, b) => a - b)).toEqual(original.images.map((v) => v[1]));
    }
    // Whole identities held out keep all their images.
    for (const g of [...split.evaluation, ...split.calibration]) expect(g.images).toBe(gallery.find((o) => o.identity === g.identity)!.images);
  });

  it('is the same split for the same seed, and another for another', () => {
    const again = splitGallery(gallery, { evaluation: 0.3, calibration: 0.2 }, 1);
    expect(again.trainedQueries.map((q) => q.images.map((v) => `${v[0]}:${v[1]}`))).toEqual(split.trainedQueries.map((q) => q.images.map((v) => `${v[0]}:${v[1]}`)));
    const other = splitGallery(gallery, { evaluation: 0.3, calibration: 0.2 }, 2);
    expect(JSON.stringify(other.trainedQueries.map((q) => [...q.images].map((v) => [...v])))).not.toBe(JSON.stringify(split.trainedQueries.map((q) => [...q.images].map((v) => [...v]))));
  });
});

describe('compareModels with listed queries', () => {
  // Two identities of 3 images each on a line; the queries are the last image of each.
  const identityOf = ['a', 'a', 'a', 'b', 'b', 'b'];
  const curve = calibrate([0.1], [1]).curve;
  const unit = (x: number) => Float32Array.of(Math.cos(x), Math.sin(x));
  // Current: each query sits nearer the other identity; candidate: nearer its own.
  const current = { version: 'current', curve, vectors: [0, 0.1, 0.9, 1, 1.1, 0.15].map(unit) };
  const candidate = { version: 'candidate', curve, vectors: [0, 0.1, 0.05, 1, 1.1, 1.05].map(unit) };

  it('queries only the listed examples, against every other example', async () => {
    const c = await compareModels(identityOf, current, candidate, 0.01, { queries: [2, 5] });
    expect(c).toMatchObject({ identities: 2, genuineTrials: 2, impostorTrials: 2 });
    expect(c.current.auc).toBe(0);
    expect(c.candidate.auc).toBe(1);
    expect(c.aucGain).toMatchObject({ value: 1, lo: 1, hi: 1 });
    expect(c.gainWithinNoise).toBe(false);
  });

  it('searches the identities it does not query too, and counts them for the threshold', async () => {
    // A third identity, never queried, lies beside the candidate's query of a (0.05): the candidate
    // now finds it nearer than a's own examples, so its AUC falls from 1 to 0.5.
    const withC = (m: typeof current, c: number[]) => ({ ...m, vectors: [...m.vectors, ...c.map(unit)] });
    const c = await compareModels([...identityOf, 'c', 'c'], withC(current, [2, 2.1]), withC(candidate, [0.06, 0.07]), 0.01, { queries: [2, 5] });
    expect(c).toMatchObject({ identities: 3, genuineTrials: 2, impostorTrials: 2 });
    expect(c.current.auc).toBe(0);
    expect(c.candidate.auc).toBe(0.5);
  });

  it('queries every example of an identity with 2+ without a list', async () => {
    const c = await compareModels(identityOf, current, candidate, 0.01);
    expect(c).toMatchObject({ identities: 2, genuineTrials: 6, impostorTrials: 6 });
  });
});
