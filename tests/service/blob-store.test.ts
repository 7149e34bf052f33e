// Both blob stores on the suite's database (the suite runs once on SQLite, once on PostgreSQL):
// round trip, chunking and streaming of a 20 MB blob, missing blobs, orphan removal, locks (across
// two store instances on PostgreSQL, as two app instances hold them).
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db, type DbTarget } from '@/lib/db/client';
import { migrate } from '@/lib/db/migrate';
import { createUniform } from '@/lib/evaluation/random';
import { sha256Hex, type BlobStore, type BlobStoreKind } from '@/lib/matching/runtime/blob-store';
import { BLOB_CHUNK_BYTES } from '@/lib/matching/runtime/db-blob-store';
import { FsBlobStore } from '@/lib/matching/runtime/fs-blob-store';
import { blobStoreKind, openBlobStore } from '@/lib/matching/runtime/open-blob-store';
import { createTestDatabase, suiteProvider } from '../helpers/db';

const REPO = path.resolve(import.meta.dirname, '../..');
let target: DbTarget;
let db: Db;
let drop: () => Promise<void>;
let dataDir: string;
const opened: BlobStore[] = [];

function open(kind: BlobStoreKind): BlobStore {
  const store = openBlobStore(kind, db, target, dataDir);
  opened.push(store);
  return store;
}

/** `n` bytes: a seeded pseudo-random 64 KiB block, repeated with each copy's number mixed in (distinct chunks, cheap to make). */
function bytesOf(n: number, seed: number): Uint8Array {
  const rng = createUniform(seed);
  const block = Uint8Array.from({ length: Math.min(n, 65_536) }, () => Math.floor(rng() * 256));
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = block[i % block.length] ^ ((i >> 16) & 0xff);
  return out;
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return parts;
}

beforeAll(async () => {
  const created = await createTestDatabase(suiteProvider());
  target = created.target;
  drop = created.drop;
  await migrate(REPO, target);
  db = openDb(target);
  dataDir = mkdtempSync(path.join(tmpdir(), 'fewshot-blobstore-'));
});

afterAll(async () => {
  for (const s of opened) await s.close();
  await db?.$disconnect();
  await drop?.();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('blobStoreKind', () => {
  it.each([
    { name: 'PostgreSQL defaults to database', input: [undefined, 'postgresql'] as const, expected: 'database' },
    { name: 'SQLite defaults to fs', input: [undefined, 'sqlite'] as const, expected: 'fs' },
    { name: 'the setting wins', input: ['fs', 'postgresql'] as const, expected: 'fs' },
  ])('$name', ({ input, expected }) => {
    expect(blobStoreKind(input[0], { provider: input[1], url: 'x' })).toBe(expected);
  });
});

describe.each(['fs', 'database'] as const)('%s blob store', (kind) => {
  it('writes, reads, streams, lists and removes by SHA-256 (a second write is a no-op)', async () => {
    const store = open(kind);
    const bytes = bytesOf(5000, 1);
    const sha = await store.write(bytes);
    expect(sha).toBe(sha256Hex(bytes));
    expect(await store.write(bytes)).toBe(sha);
    expect(await store.exists(sha)).toBe(true);
    expect(Buffer.from(await store.read(sha)).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.concat(await collect(store.stream(sha))).equals(Buffer.from(bytes))).toBe(true);
    expect(await store.list()).toContain(sha);
    await store.remove(sha);
    expect(await store.exists(sha)).toBe(false);
    expect(await store.list()).not.toContain(sha);
    await store.remove(sha);
  });

  it('refuses a missing blob with blob_not_found, on read and on stream', async () => {
    const store = open(kind);
    const sha = sha256Hex(new Uint8Array([9, 9, 9]));
    await expect(store.read(sha)).rejects.toMatchObject({ code: 'blob_not_found' });
    await expect(collect(store.stream(sha))).rejects.toMatchObject({ code: 'blob_not_found' });
  });

  it('streams a 20 MB blob in pieces of at most 1 MiB', async () => {
    const store = open(kind);
    const bytes = bytesOf(20 * 1024 * 1024, 2);
    const sha = await store.write(bytes);
    const parts = await collect(store.stream(sha));
    // ceil(20 MiB / 1 MiB) = 20 pieces for the database store; the fs read stream uses the same size.
    expect(parts).toHaveLength(20);
    expect(Math.max(...parts.map((p) => p.byteLength))).toBeLessThanOrEqual(BLOB_CHUNK_BYTES);
    expect(sha256Hex(Buffer.concat(parts))).toBe(sha);
    if (kind === 'database') expect(await db.blobChunk.count({ where: { sha256: sha } })).toBe(20);
    await store.remove(sha);
    if (kind === 'database') expect(await db.blobChunk.count({ where: { sha256: sha } })).toBe(0);
  });

  it('removes the blobs nothing references and keeps the rest', async () => {
    const store = open(kind);
    const kept = await store.write(bytesOf(100, 3));
    const orphan = await store.write(bytesOf(100, 4));
    const removed = await store.removeOrphans(async (shas) => new Set(shas.filter((s) => s === kept)));
    expect(removed).toContain(orphan);
    expect(removed).not.toContain(kept);
    expect(await store.exists(kept)).toBe(true);
    expect(await store.exists(orphan)).toBe(false);
    await store.remove(kept);
  });

  it('serialises holders of one hash, also across two store instances (two app instances)', async () => {
    const [a, b] = [open(kind), open(kind)];
    const sha = sha256Hex(bytesOf(10, 5));
    const events: string[] = [];
    const hold = (store: BlobStore, name: string) =>
      store.withLock([sha], async () => {
        events.push(`${name} in`);
        await sleep(50);
        events.push(`${name} out`);
      });
    // The fs store is one instance's disk: its lock is per store object, so only `a` is used twice.
    await Promise.all([hold(a, 'a'), hold(kind === 'database' && target.provider === 'postgresql' ? b : a, 'b')]);
    // Either may take the lock first (two connections race for it); neither enters while the other holds it.
    expect([['a in', 'a out', 'b in', 'b out'], ['b in', 'b out', 'a in', 'a out']]).toContainEqual(events);
  });
});

describe('fs blob store', () => {
  it('removes temp files left by a crash mid-write', async () => {
    const store = new FsBlobStore(mkdtempSync(path.join(tmpdir(), 'fewshot-blobs-')));
    const kept = await store.write(new Uint8Array([1, 2, 3]));
    await writeFile(`${store.pathOf(kept)}.tmp-1-abc`, 'partial');
    const removed = await store.removeOrphans(async (shas) => new Set(shas));
    expect(removed).toEqual([`${kept}.tmp-1-abc`]);
    expect(await store.list()).toEqual([kept]);
    expect(await readdir(path.dirname(store.pathOf(kept)))).toEqual([kept]);
    rmSync(path.dirname(store.root), { recursive: true, force: true });
  });
});
