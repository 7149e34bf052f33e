/** API key rows (only the key's SHA-256 is stored) and the collection-scope check of a new key. */
import type { DbOrTx } from './client';
import { afterKey, type NewestFirstKey } from './keyset';

/** An API key row. */
export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  /** 'admin' | 'user' as stored. */
  role: string;
  collectionId: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Stores a new key. */
export function createApiKeyRow(db: DbOrTx, data: { name: string; prefix: string; hash: string; role: string; collectionId: string | null }): Promise<ApiKeyRow> {
  return db.apiKey.create({ data });
}

/** Keys newest first after a cursor key, `take` at most. */
export function findApiKeys(db: DbOrTx, after: NewestFirstKey | null, take: number): Promise<ApiKeyRow[]> {
  return db.apiKey.findMany({ where: afterKey(after), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take });
}

/** A key by id, or null. */
export function findApiKey(db: DbOrTx, id: string): Promise<ApiKeyRow | null> {
  return db.apiKey.findUnique({ where: { id } });
}

/** A key by the SHA-256 of its secret, or null. */
export function findApiKeyByHash(db: DbOrTx, hash: string): Promise<ApiKeyRow | null> {
  return db.apiKey.findUnique({ where: { hash } });
}

/** Marks a key revoked now. */
export async function revokeApiKeyRow(db: DbOrTx, id: string): Promise<void> {
  await db.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
}

/** Records when a key was last used. */
export async function touchApiKey(db: DbOrTx, id: string, at: Date): Promise<void> {
  await db.apiKey.update({ where: { id }, data: { lastUsedAt: at } });
}
