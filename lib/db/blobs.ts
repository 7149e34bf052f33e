/** Blob rows: content-addressed original image bytes (their bytes are in the blob store). */
import type { DbOrTx, Tx } from './client';

/** Of these SHA-256s, the ones a Blob row holds. */
export async function findBlobShas(db: DbOrTx, shas: string[]): Promise<Set<string>> {
  const rows = await db.blob.findMany({ where: { sha256: { in: shas } }, select: { sha256: true } });
  return new Set(rows.map((r) => r.sha256));
}

/** Of these SHA-256s, the ones the blob store must keep: an image's Blob row or a model file holds them. */
export async function findReferencedShas(db: DbOrTx, shas: string[]): Promise<Set<string>> {
  const files = await db.modelFile.findMany({ where: { sha256: { in: shas } }, select: { sha256: true } });
  return new Set([...(await findBlobShas(db, shas)), ...files.map((f) => f.sha256)]);
}

/** The blob row of these bytes, created when new; returns its id. */
export async function upsertBlob(tx: Tx, data: { sha256: string; sizeBytes: number; format: string; width: number; height: number }): Promise<string> {
  const row = await tx.blob.upsert({ where: { sha256: data.sha256 }, create: data, update: {}, select: { id: true } });
  return row.id;
}

/** Deletes those of `blobIds` no image references any more; returns their SHA-256s (files to remove). */
export async function deleteUnusedBlobs(tx: Tx, blobIds: string[]): Promise<string[]> {
  const unused = await tx.blob.findMany({ where: { id: { in: blobIds }, images: { none: {} } }, select: { id: true, sha256: true } });
  await tx.blob.deleteMany({ where: { id: { in: unused.map((b) => b.id) } } });
  return unused.map((b) => b.sha256);
}

/** Deletes a blob row. */
export async function deleteBlob(tx: Tx, id: string): Promise<void> {
  await tx.blob.delete({ where: { id } });
}
