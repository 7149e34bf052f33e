/**
 * The `database` blob store: bytes in BlobContent and BlobChunk rows of the service database, so
 * every instance on one PostgreSQL reads what any of them wrote. A blob is cut into chunks of at
 * most `chunkBytes` (1 MiB), so a 20 MB image is never one huge value, and read back one chunk at
 * a time. Its chunks and its BlobContent row are written in one transaction: no half blob is ever
 * visible. On PostgreSQL `withLock` also takes advisory locks, held across instances.
 */
import { AdvisoryLocks } from '@/lib/db/advisory-locks';
import { deleteBlobContent, findBlobContent, findBlobHead, insertBlobContent, listBlobContentShas, readBlobChunk } from '@/lib/db/blob-contents';
import type { Db, DbTarget } from '@/lib/db/client';
import { NotFoundError } from '@/lib/errors';
import { KeyedLock, sha256Hex, type BlobStore } from './blob-store';

/** Default chunk size: 1 MiB. */
export const BLOB_CHUNK_BYTES = 1024 * 1024;

/** Hashes listed per database round trip. */
const LIST_PAGE = 1000;

/** Advisory lock key of a hash: its first 64 bits as a signed integer (a prefix clash only makes two writers wait). */
function lockKey(sha256: string): bigint {
  return BigInt.asIntN(64, BigInt(`0x${sha256.slice(0, 16)}`));
}

/** Blob bytes in database rows. */
export class DatabaseBlobStore implements BlobStore {
  readonly kind = 'database' as const;
  private readonly locks = new KeyedLock();
  private readonly advisory: AdvisoryLocks | null;

  constructor(
    private readonly db: Db,
    target: DbTarget,
    private readonly chunkBytes = BLOB_CHUNK_BYTES,
  ) {
    // SQLite is one instance's file: the in-process lock is the whole story there.
    this.advisory = target.provider === 'postgresql' ? new AdvisoryLocks(target.url) : null;
  }

  async write(bytes: Uint8Array): Promise<string> {
    const sha = sha256Hex(bytes);
    if (await findBlobContent(this.db, sha)) return sha;
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    // ceil(size / chunkBytes) chunks, at least one (an empty blob is one empty chunk).
    for (let at = 0; at < bytes.byteLength || chunks.length === 0; at += this.chunkBytes) chunks.push(bytes.slice(at, at + this.chunkBytes));
    await insertBlobContent(this.db, sha, chunks);
    return sha;
  }

  async withLock<T>(sha256s: string[], fn: () => Promise<T>): Promise<T> {
    return this.locks.run(sha256s, async () => {
      const release = this.advisory ? await this.advisory.acquire(sha256s.map(lockKey)) : null;
      try {
        return await fn();
      } finally {
        await release?.();
      }
    });
  }

  async read(sha256: string): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const part of this.stream(sha256)) parts.push(part);
    return Buffer.concat(parts);
  }

  async *stream(sha256: string): AsyncIterable<Uint8Array> {
    const head = await findBlobHead(this.db, sha256);
    if (!head) throw this.missing(sha256);
    yield head.first;
    for (let idx = 1; idx < head.chunkCount; idx++) {
      const chunk = await readBlobChunk(this.db, sha256, idx);
      if (!chunk) throw this.missing(sha256);
      yield chunk;
    }
  }

  async exists(sha256: string): Promise<boolean> {
    return (await findBlobContent(this.db, sha256)) !== null;
  }

  async remove(sha256: string): Promise<void> {
    await deleteBlobContent(this.db, sha256);
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    for (let page = await listBlobContentShas(this.db, null, LIST_PAGE); page.length > 0; page = await listBlobContentShas(this.db, page.at(-1)!, LIST_PAGE)) out.push(...page);
    return out;
  }

  /**
   * Other instances may be serving: each candidate is checked again and removed under its lock,
   * which an enrolment holds from its write to its commit, so bytes about to be referenced stay.
   */
  async removeOrphans(isReferenced: (sha256s: string[]) => Promise<Set<string>>): Promise<string[]> {
    const removed: string[] = [];
    for (let page = await listBlobContentShas(this.db, null, LIST_PAGE); page.length > 0; page = await listBlobContentShas(this.db, page.at(-1)!, LIST_PAGE)) {
      const referenced = await isReferenced(page);
      for (const sha of page.filter((s) => !referenced.has(s))) {
        const gone = await this.withLock([sha], async () => {
          if ((await isReferenced([sha])).has(sha)) return false;
          await this.remove(sha);
          return true;
        });
        if (gone) removed.push(sha);
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    await this.advisory?.close();
  }

  private missing(sha256: string): NotFoundError {
    return new NotFoundError('blob_not_found', `blob ${sha256} is missing from the database blob store; restore the database from a backup`);
  }
}
