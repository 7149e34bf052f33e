// The index is a cache of the database: rows written without telling the index (a crash after
// commit), a missing, stale, corrupt or foreign index file, all end with an index that matches
// the database after a restart of the store.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUniform, gaussian } from '@/lib/evaluation/random';
import type { IndexKey, IndexStore as IndexStoreType } from '@/lib/matching/runtime/index-store';
import { startDefaultHarness, type Harness } from './harness';

const ADMIN = { actor: 'system', role: 'admin' as const, collectionId: null };
let h: Harness;
let key: IndexKey;
let identityId: string;
let root: string;
let IndexStore: typeof IndexStoreType;
const rng = createUniform(11);
const vectors = new Map<number, Float32Array>();

function unit(dim: number): Float32Array {
  const v = Float32Array.from({ length: dim }, () => gaussian(rng));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** Commits `n` images the way enrolment does, without telling any index (a crash right after commit). */
async function writeImages(n: number): Promise<number[]> {
  const { db } = h.svc.getRuntime();
  const { allocateSequences } = await import('@/lib/matching/context');
  const { encodeVector } = await import('@/lib/matching/runtime/vectors');
  return db.$transaction(async (tx) => {
    const first = await allocateSequences(tx, key.collectionId, n);
    const seqs: number[] = [];
    for (let j = 0; j < n; j++) {
      const seq = first + j;
      const v = unit(key.dim);
      const blob = await tx.blob.create({ data: { sha256: createHash('sha256').update(`${key.collectionId}-${seq}`).digest('hex'), sizeBytes: 1, format: 'png', width: 1, height: 1 } });
      const image = await tx.image.create({ data: { collectionId: key.collectionId, identityId, blobId: blob.id, seq, verdicts: [] } });
      await tx.embedding.create({ data: { imageId: image.id, modelVersion: key.modelVersion, dim: key.dim, vector: encodeVector(v) } });
      await tx.change.create({ data: { collectionId: key.collectionId, sequence: seq, op: 'add', imageSeq: seq } });
      vectors.set(seq, v);
      seqs.push(seq);
    }
    return seqs;
  });
}

/** Commits deletes of the given image seqs without telling any index. */
async function deleteImages(seqs: number[]): Promise<void> {
  const { db } = h.svc.getRuntime();
  const { allocateSequences } = await import('@/lib/matching/context');
  await db.$transaction(async (tx) => {
    const first = await allocateSequences(tx, key.collectionId, seqs.length);
    for (const [j, seq] of seqs.entries()) {
      await tx.change.create({ data: { collectionId: key.collectionId, sequence: first + j, op: 'delete', imageSeq: seq } });
      await tx.image.delete({ where: { collectionId_seq: { collectionId: key.collectionId, seq } } });
      vectors.delete(seq);
    }
  });
}

/** The index holds exactly the database's live images: each finds itself first, deleted ones never. */
async function expectMatchesDb(store: IndexStoreType): Promise<void> {
  const { db } = h.svc.getRuntime();
  const head = (await db.collection.findUniqueOrThrow({ where: { id: key.collectionId } })).headSequence;
  const live = await db.image.findMany({ where: { collectionId: key.collectionId }, select: { seq: true } });
  const index = await store.ready(key, head);
  expect(index.lastSequence).toBe(head);
  expect(index.size).toBe(live.length);
  const liveSeqs = new Set(live.map((r) => r.seq));
  for (const { seq } of live) {
    const [top] = index.search(vectors.get(seq)!, 1);
    expect(top.label).toBe(seq);
    expect(top.distance).toBeCloseTo(0, 4);
  }
  for (const hit of index.search(unit(key.dim), live.length)) expect(liveSeqs.has(hit.label)).toBe(true);
}

beforeAll(async () => {
  h = await startDefaultHarness();
  ({ IndexStore } = await import('@/lib/matching/runtime/index-store'));
  const c = await h.svc.createCollection(ADMIN, { name: 'crash', kind: 'object', domain: 'drawings' });
  const dim = h.svc.getRuntime().models.get('object')!.manifest.embeddingDim;
  key = { collectionId: c.id, modelVersion: c.modelVersion, dim };
  identityId = (await h.svc.createIdentity(ADMIN, c.id, { name: 'x' })).id;
  root = mkdtempSync(path.join(tmpdir(), 'fewshot-idx-'));
});

afterAll(async () => {
  await h?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('IndexStore', () => {
  it('rebuilds a missing index from the database', async () => {
    await writeImages(40);
    const store = new IndexStore(h.svc.getRuntime().db, h.dataDir, root);
    await expectMatchesDb(store);
    expect(store.stats(key)?.origin).toBe('rebuilt');
  });

  it('loads an index left behind and catches up from the change log', async () => {
    const a = new IndexStore(h.svc.getRuntime().db, h.dataDir, root);
    await a.ready(key);
    await writeImages(15);
    await deleteImages([3, 17, 41]);
    await a.close(); // saved at sequence 40: now behind the database
    const b = new IndexStore(h.svc.getRuntime().db, h.dataDir, root);
    await expectMatchesDb(b);
    expect(b.stats(key)?.origin).toBe('loaded');
    await b.close();
  });

  it('applies committed changes in memory and catches up over a gap', async () => {
    const store = new IndexStore(h.svc.getRuntime().db, h.dataDir, root);
    await store.ready(key);
    const seqs = await writeImages(5);
    await deleteImages([seqs[0]]);
    // The writer reports only its own last change: the store sees the gap and reads the log.
    await store.apply(key, [{ sequence: seqs[4] + 1, op: 'delete', imageSeq: seqs[0] }]);
    await expectMatchesDb(store);
  });

  it.each([
    { name: 'corrupt index file', damage: (file: string) => writeFileSync(file, Buffer.concat([Buffer.from([255, 255, 255, 255]), readFileSync(file).subarray(4)])) },
    { name: 'truncated index file', damage: (file: string) => writeFileSync(file, readFileSync(file).subarray(0, 100)) },
    { name: 'manifest of another model', damage: (file: string) => writeFileSync(`${file}.manifest.json`, readFileSync(`${file}.manifest.json`, 'utf8').replace(/"modelVersion": "[^"]+"/, '"modelVersion": "other"')) },
    { name: 'index ahead of the database', damage: (file: string) => writeFileSync(`${file}.manifest.json`, readFileSync(`${file}.manifest.json`, 'utf8').replace(/"lastSequence": \d+/, '"lastSequence": 100000')) },
  ])('rebuilds on a $name', async ({ damage }) => {
    const a = new IndexStore(h.svc.getRuntime().db, h.dataDir, root);
    await a.ready(key);
    await writeImages(2);
    await a.apply(key, []);
    await a.ready(key);
    await a.close();
    damage(a.pathOf(key));
    const b = new IndexStore(h.svc.getRuntime().db, h.dataDir, root);
    await expectMatchesDb(b);
    expect(b.stats(key)?.origin).toBe('rebuilt');
  });
});

describe('IndexStore.open', () => {
  it('removes temp files of interrupted saves and readies every collection of a loaded model', async () => {
    const tmp = `${path.join(root, key.collectionId, key.modelVersion)}.hnsw.tmp-12345`;
    writeFileSync(tmp, 'partial');
    const store = new IndexStore(h.svc.getRuntime().db, h.dataDir, root);
    await store.open((v) => (v === key.modelVersion ? key.dim : null));
    expect(await readdir(path.join(root, key.collectionId))).not.toContain(path.basename(tmp));
    const head = (await h.svc.getRuntime().db.collection.findUniqueOrThrow({ where: { id: key.collectionId } })).headSequence;
    expect(store.stats(key)?.lastSequence).toBe(head);
    await expectMatchesDb(store);
    await store.close();
  });
});
