// Trained model folders in the shared blob store (issue 21): a folder published by one instance is
// materialised, byte for byte, under another instance's DATA_DIR/models; the orphan sweep keeps its
// blobs. Runs on the suite's database with its default store (database on PostgreSQL, fs on SQLite).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findReferencedShas } from '@/lib/db/blobs';
import { openDb, type Db, type DbTarget } from '@/lib/db/client';
import { migrate } from '@/lib/db/migrate';
import type { BlobStore } from '@/lib/matching/runtime/blob-store';
import { modelDir, modelRoots } from '@/lib/matching/runtime/model-registry';
import { ensureModelDir, publishModelFolder } from '@/lib/matching/runtime/model-store';
import { blobStoreKind, openBlobStore } from '@/lib/matching/runtime/open-blob-store';
import { createTestDatabase, suiteProvider } from '../helpers/db';

const REPO = path.resolve(import.meta.dirname, '../..');
const VERSION = 'object-gallery-20261205T000000Z';
const FILES: Record<string, string> = { 'manifest.json': '{"version":"object-gallery-20261205T000000Z"}\n', 'model.json': '{"layers":[]}\n', 'plots/loss.svg': '<svg/>\n' };
let target: DbTarget;
let db: Db;
let drop: () => Promise<void>;
let root: string;
let blobs: BlobStore;

beforeAll(async () => {
  ({ target, drop } = await createTestDatabase(suiteProvider()));
  await migrate(REPO, target);
  db = openDb(target);
  root = mkdtempSync(path.join(tmpdir(), 'fewshot-modelstore-'));
  // Instance A's store; on SQLite (fs) B shares A's DATA_DIR/blobs only in this test, to reach the bytes.
  blobs = openBlobStore(blobStoreKind(undefined, target), db, target, path.join(root, 'a'));
  const dir = modelDir(modelRoots(path.join(root, 'bundled'), path.join(root, 'a')).trained, 'object', VERSION);
  for (const [name, text] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  await publishModelFolder({ db, blobs }, 'object', VERSION, dir);
});

afterAll(async () => {
  await blobs?.close();
  await db?.$disconnect();
  await drop?.();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('ensureModelDir', () => {
  it('materialises a version published by another instance, every file equal', async () => {
    const rootsB = modelRoots(path.join(root, 'bundled'), path.join(root, 'b'));
    const dir = await ensureModelDir({ db, blobs, modelRoots: rootsB }, 'object', VERSION);
    expect(dir).toBe(modelDir(rootsB.trained, 'object', VERSION));
    for (const [name, text] of Object.entries(FILES)) expect(readFileSync(path.join(dir!, name), 'utf8')).toBe(text);
    // Found on disk the second time.
    expect(await ensureModelDir({ db, blobs, modelRoots: rootsB }, 'object', VERSION)).toBe(dir);
  });

  it.each([
    { name: 'an unknown version', input: { kind: 'object' as const, version: 'object-nowhere' }, expected: null },
    { name: 'a version of another kind', input: { kind: 'face' as const, version: VERSION }, expected: null },
  ])('answers null for $name', async ({ input, expected }) => {
    const rootsC = modelRoots(path.join(root, 'bundled'), path.join(root, 'c'));
    expect(await ensureModelDir({ db, blobs, modelRoots: rootsC }, input.kind, input.version)).toBe(expected);
  });
});

describe('publishModelFolder', () => {
  it('records every file, and the orphan sweep keeps their blobs', async () => {
    const rows = await db.modelFile.findMany({ where: { modelVersion: VERSION }, orderBy: { name: 'asc' } });
    expect(rows.map((r) => r.name)).toEqual(Object.keys(FILES).sort());
    expect(await blobs.removeOrphans((shas) => findReferencedShas(db, shas))).toEqual([]);
    for (const r of rows) expect(await blobs.exists(r.sha256)).toBe(true);
  });
});
