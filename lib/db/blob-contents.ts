/**
 * Blob bytes in the database (the `database` blob store): a BlobContent row per SHA-256 and its
 * BlobChunk rows, written in one transaction so a crash leaves no half blob.
 */
import { isDbError, type Db, type DbOrTx } from './client';

/** Size and chunk count of a stored blob. */
export interface BlobContentRow {
  sha256: string;
  sizeBytes: number;
  chunkCount: number;
}

/** The stored blob of `sha256`, or null. */
export async function findBlobContent(db: DbOrTx, sha256: string): Promise<BlobContentRow | null> {
  return db.blobContent.findUnique({ where: { sha256 }, select: { sha256: true, sizeBytes: true, chunkCount: true } });
}

/**
 * Stores a blob's chunks under its hash in one transaction; a concurrent writer of the same bytes
 * (another instance) wins the race harmlessly, since the content is the same.
 */
export async function insertBlobContent(db: Db, sha256: string, chunks: Uint8Array<ArrayBuffer>[]): Promise<void> {
  const sizeBytes = chunks.reduce((n, c) => n + c.byteLength, 0);
  try {
    await db.$transaction([
      db.blobContent.create({ data: { sha256, sizeBytes, chunkCount: chunks.length } }),
      ...chunks.map((bytes, idx) => db.blobChunk.create({ data: { sha256, idx, bytes } })),
    ]);
  } catch (err) {
    if (!isDbError(err, 'unique')) throw err;
  }
}

/** A stored blob's chunk count with its first chunk (one round trip: most images are one chunk), or null. */
export async function findBlobHead(db: DbOrTx, sha256: string): Promise<{ chunkCount: number; first: Uint8Array } | null> {
  const row = await db.blobContent.findUnique({ where: { sha256 }, select: { chunkCount: true, chunks: { where: { idx: 0 }, select: { bytes: true } } } });
  return row && row.chunks.length === 1 ? { chunkCount: row.chunkCount, first: row.chunks[0].bytes } : null;
}

/** Chunk `idx` of a stored blob, or null when the blob was deleted meanwhile. */
export async function readBlobChunk(db: DbOrTx, sha256: string, idx: number): Promise<Uint8Array | null> {
  const row = await db.blobChunk.findUnique({ where: { sha256_idx: { sha256, idx } }, select: { bytes: true } });
  return row?.bytes ?? null;
}

/** Deletes a stored blob and its chunks (absent is fine). */
export async function deleteBlobContent(db: Db, sha256: string): Promise<void> {
  await db.$transaction([db.blobChunk.deleteMany({ where: { sha256 } }), db.blobContent.deleteMany({ where: { sha256 } })]);
}

/** Up to `take` stored hashes after `after`, in order (keyset pages), written before `before` when given. */
export async function listBlobContentShas(db: DbOrTx, after: string | null, take: number, before?: Date): Promise<string[]> {
  const rows = await db.blobContent.findMany({
    where: { ...(after === null ? {} : { sha256: { gt: after } }), ...(before ? { createdAt: { lt: before } } : {}) },
    orderBy: { sha256: 'asc' },
    take,
    select: { sha256: true },
  });
  return rows.map((r) => r.sha256);
}
