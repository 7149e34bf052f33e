/**
 * Copies every blob from one store to the other (`npm run blobs -- migrate --to database|fs`).
 * Idempotent per blob, so a run that was interrupted (signal, kill, crash) is resumed by running
 * it again: blobs the target holds whole are not copied again. Every blob's SHA-256 is checked
 * twice: the bytes read from the source, and the bytes read back from the target.
 */
import { AppError, StoredValueError } from '@/lib/errors';
import { sha256Hex, type BlobStore } from './blob-store';

/** Where a migration run stands after each blob. */
export interface BlobMigrationProgress {
  /** Blobs handled so far (copied or already there), of `total`. */
  done: number;
  total: number;
  copied: number;
  /** Already in the target (an earlier run copied them). */
  present: number;
}

/** What a run did. */
export type BlobMigrationResult = BlobMigrationProgress;

function checkHash(bytes: Uint8Array, sha256: string, where: string): void {
  if (sha256Hex(bytes) !== sha256) throw new StoredValueError('blob_checksum_mismatch', `blob ${sha256} read from the ${where} store hashes to ${sha256Hex(bytes)}; restore it from a backup`);
}

/** Blobs copied at once (database round trips overlap; memory stays at a few blobs). */
const DEFAULT_CONCURRENCY = 8;

/**
 * Copies every blob of `from` into `to`, verifying each; when the signal aborts, the blobs in
 * flight finish and the run stops with the signal's reason.
 */
export async function migrateBlobs(
  from: BlobStore,
  to: BlobStore,
  opts: { signal?: AbortSignal; onProgress?: (p: BlobMigrationProgress) => void; concurrency?: number } = {},
): Promise<BlobMigrationResult> {
  if (from.kind === to.kind) throw new AppError('invalid_args', `source and target are both the ${to.kind} store; pick the other one with --to`);
  const shas = await from.list();
  // Whole blobs only: the database store lists a blob once its chunks have committed.
  const present = new Set(await to.list());
  const p: BlobMigrationProgress = { done: 0, total: shas.length, copied: 0, present: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < shas.length; i = next++) {
      opts.signal?.throwIfAborted();
      const sha = shas[i];
      if (present.has(sha)) {
        p.present++;
      } else {
        const bytes = await from.read(sha);
        checkHash(bytes, sha, from.kind);
        await to.write(bytes);
        p.copied++;
      }
      checkHash(await to.read(sha), sha, to.kind);
      p.done++;
      opts.onProgress?.({ ...p });
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: opts.concurrency ?? DEFAULT_CONCURRENCY }, worker));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return p;
}
