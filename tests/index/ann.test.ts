import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUniform, gaussian } from '@/lib/evaluation/random';
import { AnnIndex, euclideanFromHnsw } from '@/lib/index/ann';
import { ExactIndex, euclideanDistance } from '@/lib/index/exact';
import { IndexManifestMismatchError, manifestPathFor } from '@/lib/index/manifest';

/** Seeded L2-normalised vectors around 40 cluster centres (like embeddings of 40 identities). */
function embeddings(seed: number, n: number, dim: number): Float32Array[] {
  const rng = createUniform(seed);
  const centres = Array.from({ length: 40 }, () => Float32Array.from({ length: dim }, () => gaussian(rng)));
  return Array.from({ length: n }, () => {
    const c = centres[Math.floor(rng() * centres.length)];
    const v = Float32Array.from(c, (x) => x + 0.6 * gaussian(rng));
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

const DIM = 32;
const data = embeddings(7, 2000, DIM);
const queries = embeddings(8, 100, DIM);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ann-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function build(space: 'l2' | 'cosine'): { ann: AnnIndex; exact: ExactIndex } {
  const ann = AnnIndex.create({ space, dim: DIM, maxElements: data.length, modelVersion: 'test-v1' });
  const exact = ExactIndex.create({ space, dim: DIM, maxElements: data.length, modelVersion: 'test-v1' });
  data.forEach((v, i) => {
    ann.add(i, v);
    exact.add(i, v);
  });
  return { ann, exact };
}

describe('AnnIndex.search', () => {
  it.each(['l2', 'cosine'] as const)('has recall@10 >= 0.95 against the exact oracle (%s) and Euclidean distances', (space) => {
    const { ann, exact } = build(space);
    let found = 0;
    for (const q of queries) {
      const truth = new Set(exact.search(q, 10).map((h) => h.label));
      const hits = ann.search(q, 10);
      found += hits.filter((h) => truth.has(h.label)).length;
      // Distances are Euclidean (not squared): they match the oracle's for the same label.
      for (const h of hits) expect(h.distance).toBeCloseTo(euclideanDistance(space, q, data[h.label]), 4);
    }
    expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
  });

  it('searches with a per-search ef (a collection setting) without changing the index its own', () => {
    const { ann, exact } = build('l2');
    const recallAt = (ef: number) => {
      let found = 0;
      for (const q of queries) {
        const truth = new Set(exact.search(q, 10).map((h) => h.label));
        found += ann.search(q, 10, ef).filter((h) => truth.has(h.label)).length;
      }
      return found / (queries.length * 10);
    };
    const low = recallAt(10);
    expect(recallAt(2000)).toBe(1);
    expect(low).toBeLessThan(1);
    expect(ann.manifest().ef).toBe(100);
  });

  it('returns at most the live size and nothing when empty', () => {
    const ann = AnnIndex.create({ space: 'l2', dim: 2, maxElements: 4 });
    expect(ann.search(Float32Array.of(0, 0), 5)).toEqual([]);
    ann.add(3, Float32Array.of(3, 4));
    expect(ann.search(Float32Array.of(0, 0), 5)).toEqual([{ label: 3, distance: 5 }]);
  });

  it('rejects a vector of the wrong length with expected vs got', () => {
    const ann = AnnIndex.create({ space: 'l2', dim: 4, maxElements: 4 });
    expect(() => ann.add(0, new Float32Array(3))).toThrow(/expected 4-d embedding, got 3/);
    expect(() => ann.search(new Float32Array(5), 1)).toThrow(/expected 4-d embedding, got 5/);
  });
});

describe('euclideanFromHnsw', () => {
  it.each([
    { name: 'l2 squared 25 -> 5', space: 'l2' as const, raw: 25, expected: 5 },
    { name: 'cosine 1 - cos = 1 (orthogonal) -> sqrt 2', space: 'cosine' as const, raw: 1, expected: Math.SQRT2 },
    { name: 'cosine 2 (opposite) -> 2', space: 'cosine' as const, raw: 2, expected: 2 },
    { name: 'tiny negative rounding -> 0', space: 'l2' as const, raw: -1e-9, expected: 0 },
  ])('$name', ({ space, raw, expected }) => {
    expect(euclideanFromHnsw(space, raw)).toBeCloseTo(expected, 12);
  });
});

describe('AnnIndex.markDelete', () => {
  it('hides a label from searches and from size; re-adding revives it', () => {
    const { ann } = build('l2');
    const q = data[123];
    expect(ann.search(q, 1)[0].label).toBe(123);
    ann.markDelete(123);
    expect(ann.has(123)).toBe(false);
    expect(ann.size).toBe(data.length - 1);
    expect(ann.search(q, 50).some((h) => h.label === 123)).toBe(false);
    expect(() => ann.markDelete(123)).toThrow(/not in the index/);
    ann.add(123, q);
    expect(ann.search(q, 1)[0].label).toBe(123);
  });
});

describe('AnnIndex.resize', () => {
  it('grows capacity explicitly and automatically when full', () => {
    const ann = AnnIndex.create({ space: 'l2', dim: 2, maxElements: 2 });
    ann.resize(10);
    expect(ann.capacity).toBe(10);
    for (let i = 0; i < 25; i++) ann.add(i, Float32Array.of(i, 0));
    expect(ann.size).toBe(25);
    expect(ann.capacity).toBeGreaterThanOrEqual(25);
    expect(ann.search(Float32Array.of(24, 0), 1)[0]).toEqual({ label: 24, distance: 0 });
    expect(() => ann.resize(3)).toThrow(/holds 25/);
  });
});

describe('AnnIndex.save / load', () => {
  it('round-trips to identical results, deletions and manifest', async () => {
    const { ann } = build('l2');
    ann.markDelete(5);
    ann.lastSequence = 42;
    const file = path.join(dir, 'round.hnsw');
    await ann.save(file);
    const loaded = await AnnIndex.load(file, { dim: DIM, space: 'l2', modelVersion: 'test-v1' });
    for (const q of queries.slice(0, 20)) expect(loaded.search(q, 10)).toEqual(ann.search(q, 10));
    expect(loaded.size).toBe(ann.size);
    expect(loaded.has(5)).toBe(false);
    expect(loaded.lastSequence).toBe(42);
    const manifest = JSON.parse(await readFile(manifestPathFor(file), 'utf8'));
    expect(manifest).toMatchObject({ space: 'l2', dim: DIM, m: 16, efConstruction: 200, ef: 100, modelVersion: 'test-v1', lastSequence: 42, deletedLabels: [5] });
  });

  it('raises a typed error saying expected vs got on a manifest mismatch', async () => {
    const ann = AnnIndex.create({ space: 'l2', dim: 8, maxElements: 4, modelVersion: 'v1' });
    ann.add(0, new Float32Array(8));
    const file = path.join(dir, 'mismatch.hnsw');
    await ann.save(file);
    const err = await AnnIndex.load(file, { dim: 16 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IndexManifestMismatchError);
    expect(err).toMatchObject({ code: 'index_manifest_mismatch', field: 'dim', expected: 16, got: 8 });
    expect((err as Error).message).toMatch(/expected dim 16, got 8; rebuild the index/);
    await expect(AnnIndex.load(file, { modelVersion: 'v2' })).rejects.toThrow(/expected modelVersion "v2", got "v1"/);
    await expect(ExactIndex.load(file)).rejects.toThrow(/expected kind "exact", got "hnsw"/);
  });

  it('refuses an index without a manifest or with a corrupt one', async () => {
    const file = path.join(dir, 'bare.hnsw');
    await writeFile(file, 'x');
    await expect(AnnIndex.load(file)).rejects.toMatchObject({ code: 'index_manifest_missing' });
    await writeFile(manifestPathFor(file), JSON.stringify({ format: 1, dim: 'eight' }));
    await expect(AnnIndex.load(file)).rejects.toMatchObject({ code: 'index_manifest_invalid' });
  });
});
