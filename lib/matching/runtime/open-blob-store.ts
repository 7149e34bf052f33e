/** Picks and opens the blob store of a deployment (BLOB_STORE, defaulting by database). */
import type { Db, DbTarget } from '@/lib/db/client';
import type { BlobStore, BlobStoreKind } from './blob-store';
import { DatabaseBlobStore } from './db-blob-store';
import { FsBlobStore } from './fs-blob-store';

/** The store kind: the setting when given, else `database` on PostgreSQL (shared by instances) and `fs` on SQLite. */
export function blobStoreKind(setting: BlobStoreKind | undefined, target: DbTarget): BlobStoreKind {
  return setting ?? (target.provider === 'postgresql' ? 'database' : 'fs');
}

/** Opens a blob store of `kind` on the database and data folder. */
export function openBlobStore(kind: BlobStoreKind, db: Db, target: DbTarget, dataDir: string): BlobStore {
  return kind === 'database' ? new DatabaseBlobStore(db, target) : new FsBlobStore(dataDir);
}
