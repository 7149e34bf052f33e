// SIGKILL a process that is enrolling, start the runtime again on its database and DATA_DIR:
// every acknowledged image is searchable, no half-stored file or row remains, and the index
// matches the database (recovery = orphan-blob removal + index catch-up at start).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '@/lib/db/client';
import { readOmniglotEntries } from '@/lib/datasets/omniglot';
import { blobStoreKind, openBlobStore } from '@/lib/matching/runtime/open-blob-store';
import { OMNIGLOT_ZIP, prepare, startHarnessOn, type Harness, type Prepared } from './harness';

const ADMIN = { actor: 'system', role: 'admin' as const, collectionId: null };
/** Acknowledged requests to wait for before the kill. */
const ACKS_BEFORE_KILL = 6;
let p: Prepared;
let h: Harness | undefined;
let collectionId = '';
/** lastSequence of the index file the killed process left behind. */
let savedSequence = -1;
const acks: { identityId: string; paths: string[]; imageIds: string[] }[] = [];

/** Resolves once the blob of `sha256` is in the suite's default blob store (DATA_DIR/blobs or the database), polled. */
async function blobStored(sha256: string): Promise<void> {
  const db = openDb(p.target);
  const store = openBlobStore(blobStoreKind(undefined, p.target), db, p.target, p.dataDir);
  try {
    while (!(await store.exists(sha256))) await sleep(2);
  } finally {
    await store.close();
    await db.$disconnect();
  }
}

/** Runs the enrolment stream in a child process group and SIGKILLs it after a few acknowledgements. */
async function runAndKill(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'enroll-stream.ts'), 'crash'], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { ...process.env, ...p.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line.startsWith('COLLECTION ')) collectionId = JSON.parse(line.slice(11)).id;
    if (line.startsWith('ACK ')) acks.push(JSON.parse(line.slice(4)));
    if (line.startsWith('ENROLL ') && acks.length === ACKS_BEFORE_KILL) {
      // Mid-request, by an event rather than a delay: the request after the last acknowledged one has
      // decoded, embedded and stored its first image file; it is storing the second, committing or
      // updating the index (or, on a slow reaction here, has just finished).
      await blobStored(line.slice('ENROLL '.length));
      process.kill(-child.pid!, 'SIGKILL');
      break;
    }
  }
  expect(await exited).toBe('SIGKILL');
}

beforeAll(async () => {
  p = await prepare();
  await runAndKill();
  const dir = path.join(p.dataDir, 'indexes', collectionId);
  const manifest = readdirSync(dir).find((f) => f.endsWith('.manifest.json'))!;
  savedSequence = JSON.parse(readFileSync(path.join(dir, manifest), 'utf8')).lastSequence;
  h = await startHarnessOn(p);
});

afterAll(async () => {
  if (h) await h.stop();
  else await p?.cleanup();
});

describe('after SIGKILL during enrolment', () => {
  it('finds every acknowledged image under its identity', async () => {
    expect(acks).toHaveLength(ACKS_BEFORE_KILL);
    const bytes = new Map(readOmniglotEntries(new Uint8Array(readFileSync(OMNIGLOT_ZIP)), ['Korean']).map((e) => [e.path, e.bytes]));
    for (const ack of acks) {
      expect(ack.imageIds).toHaveLength(2);
      for (const file of ack.paths) {
        const res = await h!.svc.search(ADMIN, collectionId, bytes.get(file)!, { k: 1 });
        // k = 1: the identity of the nearest image, the acknowledged one itself (the next test checks the index equals the database).
        expect(res.results[0].neighbours[0]).toMatchObject({ identityId: ack.identityId });
      }
    }
  });

  it('keeps no half-stored blob file, and the index equals the database', async () => {
    const { db, indexes, blobs } = h!.svc.getRuntime();
    const shas = (await db.blob.findMany({ select: { sha256: true } })).map((b) => b.sha256).sort();
    expect(await blobs.list()).toEqual(shas);
    const c = await db.collection.findUniqueOrThrow({ where: { id: collectionId } });
    const images = await db.image.count({ where: { collectionId } });
    expect(images).toBeGreaterThanOrEqual(2 * ACKS_BEFORE_KILL);
    expect(await db.embedding.count({ where: { image: { collectionId } } })).toBe(images);
    expect(await db.change.count({ where: { collectionId } })).toBe(c.headSequence);
    // The file on disk was behind the database (saved at creation); start-up loaded it and caught up.
    expect(savedSequence).toBeLessThan(2 * ACKS_BEFORE_KILL);
    expect(indexes.stats({ collectionId, modelVersion: c.modelVersion })).toEqual({ size: images, lastSequence: c.headSequence, origin: 'loaded' });
    const leftovers = readdirSync(p.dataDir, { recursive: true }).map(String).filter((f) => /\.tmp-/.test(f));
    expect(leftovers).toEqual([]);
  });
});
