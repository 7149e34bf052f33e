// Blob migration fs -> database on PostgreSQL (issue 21 "Blob migration"): a gallery of 1,000 real
// Omniglot PNGs in DATA_DIR/blobs, a run interrupted by its abort signal part-way, then resumed by
// the command itself (`npm run blobs -- migrate --to database`); afterwards every blob's SHA-256
// read back from the database equals the original file's.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db, type DbTarget } from '@/lib/db/client';
import { migrate } from '@/lib/db/migrate';
import { readOmniglotEntries } from '@/lib/datasets/omniglot';
import { migrateBlobs } from '@/lib/matching/runtime/blob-migration';
import { sha256Hex, type BlobStore } from '@/lib/matching/runtime/blob-store';
import { openBlobStore } from '@/lib/matching/runtime/open-blob-store';
import { OMNIGLOT_ZIP } from '../helpers/data';
import { createTestDatabase, suiteProvider } from '../helpers/db';

const REPO = path.resolve(import.meta.dirname, '../..');
const GALLERY = 1000;
/** Blobs the first run copies before its signal aborts it. */
const STOP_AFTER = 400;
let target: DbTarget;
let db: Db;
let drop: () => Promise<void>;
let dataDir: string;
let fs: BlobStore;
let database: BlobStore;
const originals = new Map<string, Uint8Array>();

beforeAll(async () => {
  const created = await createTestDatabase('postgresql');
  ({ target, drop } = created);
  await migrate(REPO, target);
  db = openDb(target);
  dataDir = mkdtempSync(path.join(tmpdir(), 'fewshot-blobmig-'));
  fs = openBlobStore('fs', db, target, dataDir);
  database = openBlobStore('database', db, target, dataDir);
  const entries = readOmniglotEntries(new Uint8Array(readFileSync(OMNIGLOT_ZIP)), ['Korean', 'Bengali']).slice(0, GALLERY);
  const shas = await Promise.all(entries.map((e) => fs.write(e.bytes)));
  shas.forEach((sha, i) => originals.set(sha, entries[i].bytes));
}, 120_000);

afterAll(async () => {
  await database?.close();
  await db?.$disconnect();
  await drop?.();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(suiteProvider() !== 'postgresql')('migrateBlobs fs -> database', () => {
  it('is interrupted once, resumed by the command, and ends with every checksum equal', async () => {
    expect(originals.size).toBe(GALLERY);
    const abort = new AbortController();
    const first = migrateBlobs(fs, database, {
      signal: abort.signal,
      onProgress: (p) => p.done === STOP_AFTER && abort.abort(new Error('stopped by the test')),
    });
    await expect(first).rejects.toThrow('stopped by the test');
    // The blobs in flight at the abort finish (at most concurrency - 1 = 7 more).
    const copiedFirst = await db.blobContent.count();
    expect(copiedFirst).toBeGreaterThanOrEqual(STOP_AFTER);
    expect(copiedFirst).toBeLessThan(STOP_AFTER + 8);

    const { stdout } = await promisify(execFile)(path.join(REPO, 'node_modules/.bin/tsx'), ['scripts/blobs.ts', 'migrate', '--to', 'database'], {
      cwd: REPO,
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: target.url },
      timeout: 90_000,
    });
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(summary).toEqual({ from: 'fs', to: 'database', done: GALLERY, total: GALLERY, copied: GALLERY - copiedFirst, present: copiedFirst });

    expect(await database.list()).toEqual([...originals.keys()].sort());
    for (const [sha, bytes] of originals) {
      const back = await database.read(sha);
      expect(sha256Hex(back)).toBe(sha256Hex(bytes));
    }
  }, 120_000);

  it('refuses to migrate a store into itself', async () => {
    await expect(migrateBlobs(database, database)).rejects.toMatchObject({ code: 'invalid_args' });
  });
});
