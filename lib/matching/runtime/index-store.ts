/**
 * The HNSW indexes of every collection: one `AnnIndex` per collection and model version under
 * `DATA_DIR/indexes/<collectionId>/<modelVersion>.hnsw`, with its manifest beside it.
 *
 * The database is the truth (embeddings and the per-collection `Change` log); an index is a cache:
 * loaded at start, rebuilt from the embeddings when missing, corrupt or inconsistent, and caught up
 * from the change log by sequence when behind. Labels are image `seq`s, never reused.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '@/lib/db/client';
import { findChangesAfter } from '@/lib/db/changes';
import { findCollectionModels, findHeadSequence } from '@/lib/db/collections';
import { countEmbeddings } from '@/lib/db/embeddings';
import { findEmbeddedImagesAfter, findImageVectors } from '@/lib/db/images';
import { AnnIndex } from '@/lib/index/ann';
import { HNSW_DEFAULTS, type IndexHit } from '@/lib/index/types';
import { decodeVector } from './vectors';

/** Which index: a collection under one model version. */
export interface IndexKey {
  /** Collection id. */
  collectionId: string;
  /** Model version of the embeddings the index holds. */
  modelVersion: string;
  /** Embedding length of that model. */
  dim: number;
}

/** One change already committed, with the vector when the writer still has it. */
export interface CommittedChange {
  /** Change sequence (strictly increasing per collection). */
  sequence: number;
  /** 'add' | 'delete'. */
  op: 'add' | 'delete';
  /** The image's seq (its label). */
  imageSeq: number;
  /** Embedding under the index's model version (adds only; loaded from the db when absent). */
  vector?: Float32Array;
}

/** How an index came to be in memory, for logs and tests. */
export type IndexOrigin = 'loaded' | 'rebuilt';

/** Rows read per query while rebuilding or catching up (keeps `IN (...)` lists well under driver limits). */
const BATCH_ROWS = 2000;
/** Save a dirty index at most this often (a crash loses nothing: catch-up replays the change log). */
const SAVE_INTERVAL_MS = 30_000;

interface Entry {
  index: AnnIndex;
  key: IndexKey;
  dirty: boolean;
  origin: IndexOrigin;
}

/** The in-memory indexes of one process, kept in step with the database. */
export class IndexStore {
  private readonly entries = new Map<string, Entry>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    dataDir: string,
    /** Root folder of the index files. */
    readonly root = path.join(dataDir, 'indexes'),
  ) {}

  /** Path of an index file. */
  pathOf(key: Pick<IndexKey, 'collectionId' | 'modelVersion'>): string {
    return path.join(this.root, key.collectionId, `${key.modelVersion}.hnsw`);
  }

  /** Removes temp files of saves a crash interrupted. */
  private async removeTempFiles(): Promise<void> {
    const names = await readdir(this.root, { recursive: true }).catch(() => [] as string[]);
    for (const name of names) if (/\.tmp-\d+$/.test(name)) await rm(path.join(this.root, name), { force: true });
  }

  /** Saves an index with a checksum beside it (hnswlib can crash on a corrupt file, so load verifies it first). */
  private async save(key: IndexKey, index: AnnIndex): Promise<void> {
    const file = this.pathOf(key);
    await mkdir(path.dirname(file), { recursive: true });
    await index.save(file);
    const tmp = `${file}.sha256.tmp-${process.pid}`;
    await writeFile(tmp, `${await sha256File(file)}\n`);
    await rename(tmp, `${file}.sha256`);
  }

  /** Loads (or rebuilds) and catches up the index of every collection whose model `dimOf` knows. */
  async open(dimOf: (modelVersion: string) => number | null): Promise<void> {
    await this.removeTempFiles();
    const collections = await findCollectionModels(this.db);
    for (const c of collections) {
      const dim = dimOf(c.modelVersion);
      if (dim !== null) await this.ready({ collectionId: c.id, modelVersion: c.modelVersion, dim });
    }
    this.timer = setInterval(() => void this.flush().catch((err) => console.error('[index] periodic save failed:', err)), SAVE_INTERVAL_MS);
    this.timer.unref();
  }

  /** The index of `key`, loaded or rebuilt and caught up to at least `headSequence` (default: the db's head). */
  async ready(key: IndexKey, headSequence?: number): Promise<AnnIndex> {
    const entry = this.entries.get(this.id(key));
    if (entry && headSequence !== undefined && entry.index.lastSequence >= headSequence) return entry.index;
    return this.locked(key, async () => (await this.sync(key)).index);
  }

  /** Searches the k nearest live images with candidate list `ef` (the collection's setting), after catching up to `headSequence`. */
  async search(key: IndexKey, headSequence: number, vector: Float32Array, k: number, ef: number): Promise<IndexHit[]> {
    const index = await this.ready(key, headSequence);
    return index.search(vector, k, ef);
  }

  /** Applies changes the caller has just committed (in sequence order); catches up from the db on a gap. */
  async apply(key: IndexKey, changes: CommittedChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.locked(key, async () => {
      const entry = await this.sync(key, changes[0].sequence - 1);
      const pending = changes.filter((c) => c.sequence > entry.index.lastSequence);
      if (pending.length === 0) return;
      if (pending.some((c) => c.op === 'add' && !c.vector)) {
        await this.catchUp(entry);
        return;
      }
      for (const c of pending) applyOne(entry.index, c.op, c.imageSeq, c.vector);
      entry.index.lastSequence = pending[pending.length - 1].sequence;
      entry.dirty = true;
    });
  }

  /** Throws away the index of `key` and builds it again from the database's embeddings. */
  async rebuildNow(key: IndexKey): Promise<AnnIndex> {
    return this.locked(key, async () => {
      const entry = await this.rebuild(key);
      this.entries.set(this.id(key), entry);
      return entry.index;
    });
  }

  /**
   * The index of `key`, caught up and holding exactly the database's embeddings of its model
   * version: rebuilt when embeddings were written for images whose add it had already passed (a
   * re-embedding for promote or rollback). Called before a collection switches to `key`'s version.
   */
  async complete(key: IndexKey): Promise<AnnIndex> {
    const index = await this.ready(key);
    return index.size === (await this.embeddedCount(key)) ? index : this.rebuildNow(key);
  }

  /** Images of the collection with an embedding under the model version: what its index must hold. */
  embeddedCount(key: Pick<IndexKey, 'collectionId' | 'modelVersion'>): Promise<number> {
    return countEmbeddings(this.db, key.collectionId, key.modelVersion);
  }

  /** Forgets and deletes the index of one model version of a collection. */
  async dropVersion(key: Pick<IndexKey, 'collectionId' | 'modelVersion'>): Promise<void> {
    const file = this.pathOf(key);
    await this.locked({ ...key, dim: 0 }, async () => {
      this.entries.delete(this.id(key));
      await rm(file, { force: true });
      await rm(`${file}.sha256`, { force: true });
    });
  }

  /** Live element count and last sequence of an index in memory (null when not loaded). */
  stats(key: Pick<IndexKey, 'collectionId' | 'modelVersion'>): { size: number; lastSequence: number; origin: IndexOrigin } | null {
    const e = this.entries.get(this.id(key));
    return e ? { size: e.index.size, lastSequence: e.index.lastSequence, origin: e.origin } : null;
  }

  /** Forgets and deletes every index file of a collection. */
  async drop(collectionId: string): Promise<void> {
    for (const [id, e] of this.entries) if (e.key.collectionId === collectionId) this.entries.delete(id);
    await rm(path.join(this.root, collectionId), { recursive: true, force: true });
  }

  /** Saves every index changed since its last save. */
  async flush(): Promise<void> {
    for (const e of this.entries.values()) {
      if (!e.dirty) continue;
      await this.locked(e.key, async () => {
        e.dirty = false;
        try {
          await this.save(e.key, e.index);
        } catch (err) {
          e.dirty = true;
          throw err;
        }
      });
    }
  }

  /** Saves dirty indexes and stops the periodic save (shutdown). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  private id(key: Pick<IndexKey, 'collectionId' | 'modelVersion'>): string {
    return `${key.collectionId}/${key.modelVersion}`;
  }

  /** Runs `fn` with the index of `key` to itself (catch-ups await the database). */
  private async locked<T>(key: IndexKey, fn: () => Promise<T>): Promise<T> {
    const id = this.id(key);
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }

  /** Loads or rebuilds the entry of `key`, then catches it up unless it already has `atLeast`. Call under the lock. */
  private async sync(key: IndexKey, atLeast?: number): Promise<Entry> {
    let entry = this.entries.get(this.id(key));
    if (!entry) {
      entry = (await this.load(key)) ?? (await this.rebuild(key));
      this.entries.set(this.id(key), entry);
    }
    if (atLeast === undefined || entry.index.lastSequence < atLeast) await this.catchUp(entry);
    return entry;
  }

  /** The saved index, caught up and checked against the database; null when it must be rebuilt. */
  private async load(key: IndexKey): Promise<Entry | null> {
    const file = this.pathOf(key);
    if (!existsSync(file)) {
      if ((await this.head(key.collectionId)) > 0) console.info(`[index] ${this.id(key)}: rebuilding (no index file)`);
      return null;
    }
    let index: AnnIndex;
    try {
      const expected = (await readFile(`${file}.sha256`, 'utf8').catch(() => '')).trim();
      if (expected !== (await sha256File(file))) throw new Error('index file checksum does not match (corrupt or partly written)');
      index = await AnnIndex.load(file, { space: 'l2', dim: key.dim, modelVersion: key.modelVersion });
    } catch (err) {
      console.info(`[index] ${this.id(key)}: rebuilding (${(err as Error).message.split('\n')[0]})`);
      return null;
    }
    const entry: Entry = { index, key, dirty: false, origin: 'loaded' };
    const head = await this.head(key.collectionId);
    if (index.lastSequence > head) {
      console.info(`[index] ${this.id(key)}: rebuilding (index at sequence ${index.lastSequence}, database at ${head})`);
      return null;
    }
    await this.catchUp(entry);
    const live = await this.embeddedCount(key);
    if (index.size !== live) {
      console.info(`[index] ${this.id(key)}: rebuilding (index holds ${index.size} images, database ${live})`);
      return null;
    }
    return entry;
  }

  /** A new index from every embedding of the collection under the model version. */
  private async rebuild(key: IndexKey): Promise<Entry> {
    // Head first: rows committed after this read are replayed by catch-up (adds replace, deletes skip absent labels).
    const head = await this.head(key.collectionId);
    const total = await this.embeddedCount(key);
    const index = AnnIndex.create({ space: 'l2', dim: key.dim, maxElements: Math.max(64, Math.ceil(total * 1.25)), modelVersion: key.modelVersion, m: HNSW_DEFAULTS.m, efConstruction: HNSW_DEFAULTS.efConstruction });
    let afterSeq = -1;
    for (;;) {
      const rows = await findEmbeddedImagesAfter(this.db, { collectionId: key.collectionId, modelVersion: key.modelVersion, afterSeq, take: BATCH_ROWS });
      for (const r of rows) index.add(r.seq, decodeVector(r.embeddings[0].vector));
      if (rows.length < BATCH_ROWS) break;
      afterSeq = rows[rows.length - 1].seq;
    }
    index.lastSequence = head;
    const entry: Entry = { index, key, dirty: true, origin: 'rebuilt' };
    await this.catchUp(entry);
    await this.save(key, index);
    entry.dirty = false;
    return entry;
  }

  /** Replays the change log after the index's last sequence. */
  private async catchUp(entry: Entry): Promise<void> {
    const { collectionId, modelVersion } = entry.key;
    for (;;) {
      const changes = await findChangesAfter(this.db, collectionId, entry.index.lastSequence, BATCH_ROWS);
      if (changes.length === 0) return;
      const addSeqs = changes.filter((c) => c.op === 'add').map((c) => c.imageSeq);
      const rows = addSeqs.length ? await findImageVectors(this.db, collectionId, modelVersion, addSeqs) : [];
      const vectors = new Map(rows.filter((r) => r.embeddings.length > 0).map((r) => [r.seq, decodeVector(r.embeddings[0].vector)]));
      for (const c of changes) {
        // An add whose image is gone was deleted later (its delete change follows) or never had this model's embedding.
        if (c.op === 'add' && !vectors.has(c.imageSeq)) continue;
        applyOne(entry.index, c.op as 'add' | 'delete', c.imageSeq, vectors.get(c.imageSeq));
      }
      entry.index.lastSequence = changes[changes.length - 1].sequence;
      entry.dirty = true;
      if (changes.length < BATCH_ROWS) return;
    }
  }

  private async head(collectionId: string): Promise<number> {
    return findHeadSequence(this.db, collectionId);
  }
}

async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

function applyOne(index: AnnIndex, op: 'add' | 'delete', label: number, vector: Float32Array | undefined): void {
  if (op === 'add') {
    if (vector) index.add(label, vector);
  } else if (index.has(label)) {
    index.markDelete(label);
  }
}
