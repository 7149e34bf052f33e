/**
 * The blob store: content-addressed bytes (original images, trained model files) behind one
 * interface, with two implementations: `fs` under DATA_DIR/blobs (./fs-blob-store.ts, the SQLite
 * default) and `database` in PostgreSQL or SQLite rows (./db-blob-store.ts, the PostgreSQL default,
 * shared by every instance). ./open-blob-store.ts picks one from BLOB_STORE.
 *
 * Protocol of its users: bytes are written before the database transaction that references them,
 * both under `withLock`; a delete removes the bytes after the transaction that dropped the last
 * reference, under the same lock. A crash leaves at worst unreferenced bytes, which
 * `removeOrphans` deletes.
 */

/** SHA-256 of bytes, lower-case hex (one implementation, beside the model files' pins). */
export { sha256Hex } from '@/lib/embedder/manifest';

/** Where blob bytes live. */
export type BlobStoreKind = 'fs' | 'database';

/** One blob store. */
export interface BlobStore {
  /** Which implementation this is. */
  readonly kind: BlobStoreKind;
  /** Writes bytes durably under their hash (no-op when present); returns the hash. */
  write(bytes: Uint8Array): Promise<string>;
  /** Reads a blob's bytes; `blob_not_found` when absent. */
  read(sha256: string): Promise<Uint8Array>;
  /** Reads a blob piece by piece (at most about 1 MiB each); `blob_not_found` when absent. */
  stream(sha256: string): AsyncIterable<Uint8Array>;
  /** Whether the blob is stored (whole). */
  exists(sha256: string): Promise<boolean>;
  /** Deletes a blob (absent is fine). Callers hold `withLock` and have dropped its last reference. */
  remove(sha256: string): Promise<void>;
  /** Every stored hash, sorted. */
  list(): Promise<string[]>;
  /**
   * Runs `fn` holding the given hashes: an enrolment holds them from write to commit, a delete
   * from commit to removal, so a delete never removes bytes a concurrent enrolment is about to
   * reference (across instances too, for the database store on PostgreSQL).
   */
  withLock<T>(sha256s: string[], fn: () => Promise<T>): Promise<T>;
  /**
   * Removes every stored blob whose hash `isReferenced` leaves out (left by a crash between the
   * write and the commit, or between a delete's commit and its removal). Returns their hashes.
   */
  removeOrphans(isReferenced: (sha256s: string[]) => Promise<Set<string>>): Promise<string[]>;
  /** Releases connections the store holds. */
  close(): Promise<void>;
}

/** In-process locks by key: each `run` waits for earlier holders of any of its keys. */
export class KeyedLock {
  private readonly locks = new Map<string, Promise<void>>();

  /** Runs `fn` holding `keys` (taken in sorted order, so two holders never wait on each other). */
  async run<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: (() => void)[] = [];
    try {
      for (const k of sorted) {
        const prev = this.locks.get(k) ?? Promise.resolve();
        let release!: () => void;
        const mine = new Promise<void>((r) => (release = r));
        const tail = prev.then(() => mine);
        this.locks.set(k, tail);
        releases.push(() => {
          release();
          if (this.locks.get(k) === tail) this.locks.delete(k);
        });
        await prev;
      }
      return await fn();
    } finally {
      for (const r of releases) r();
    }
  }
}

/**
 * A blob as a web stream: its first piece is read here, so a missing blob fails with
 * `blob_not_found` before a response starts; the rest is read as the consumer pulls.
 */
export async function openBlobStream(store: BlobStore, sha256: string): Promise<ReadableStream<Uint8Array>> {
  const it = store.stream(sha256)[Symbol.asyncIterator]();
  let next: IteratorResult<Uint8Array> | null = await it.next();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = next ?? (await it.next());
      next = null;
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    async cancel() {
      await it.return?.();
    },
  });
}

/** Lower-case hex SHA-256. */
export const SHA_RE = /^[0-9a-f]{64}$/;
