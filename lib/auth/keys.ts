/**
 * API keys: a random secret shown once at creation; only its SHA-256 is stored, with a short
 * prefix for lists. Roles admin|user, an optional collection scope, revocation.
 */
import { createApiKeyRow, findApiKey, findApiKeyByHash, findApiKeys, revokeApiKeyRow, touchApiKey, type ApiKeyRow } from '@/lib/db/api-keys';
import { createAuditEntry } from '@/lib/db/audit';
import type { Db } from '@/lib/db/client';
import { collectionExists } from '@/lib/db/collections';
import { NotFoundError } from '@/lib/errors';
import { decodeCursor, encodeCursor, type AuthPage } from './page';
import type { Principal } from './principal';
import { randomToken, sha256Text } from './tokens';
import type { ApiKeyView, CreatedApiKey } from './contract';

/** Every generated key starts with this, so leaked keys are easy to grep for. */
export const KEY_PREFIX = 'fsk_';
/** Characters of the key kept in clear for lists (prefix + 8 random characters). */
const SHOWN_CHARS = KEY_PREFIX.length + 8;
/** `lastUsedAt` is written at most once a minute per key, not on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** What `createApiKey` takes. */
export interface NewApiKey {
  name: string;
  role: 'admin' | 'user';
  collectionId?: string | null;
}

function toView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role === 'admin' ? 'admin' : 'user',
    collectionId: row.collectionId,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** Creates a key; the returned `key` is the only time the secret is ever shown. */
export async function createApiKey(db: Db, actor: string, input: NewApiKey): Promise<CreatedApiKey> {
  const collectionId = input.collectionId ?? null;
  if (collectionId !== null && !(await collectionExists(db, collectionId))) {
    throw new NotFoundError('collection_not_found', `no collection ${collectionId} to scope the key to`);
  }
  const key = randomToken(KEY_PREFIX);
  const row = await db.$transaction(async (tx) => {
    const created = await createApiKeyRow(tx, { name: input.name, prefix: key.slice(0, SHOWN_CHARS), hash: sha256Text(key), role: input.role, collectionId });
    await createAuditEntry(tx, { actor, action: 'key.create', collectionId, details: { keyId: created.id, role: input.role } });
    return created;
  });
  return { ...toView(row), key };
}

/** Lists keys newest first, revoked ones included (with `revokedAt`). */
export async function listApiKeys(db: Db, page: { limit: number; cursor?: string }): Promise<AuthPage<ApiKeyView>> {
  const rows = await findApiKeys(db, decodeCursor(page.cursor), page.limit + 1);
  const kept = rows.slice(0, page.limit);
  const last = kept.at(-1);
  return { items: kept.map(toView), nextCursor: rows.length > page.limit && last ? encodeCursor(last.createdAt, last.id) : null };
}

/** Revokes a key at once; revoking a revoked key again is a no-op. */
export async function revokeApiKey(db: Db, actor: string, id: string): Promise<void> {
  const row = await findApiKey(db, id);
  if (!row) throw new NotFoundError('key_not_found', `no API key ${id}`);
  if (row.revokedAt) return;
  await db.$transaction(async (tx) => {
    await revokeApiKeyRow(tx, id);
    await createAuditEntry(tx, { actor, action: 'key.revoke', collectionId: row.collectionId, details: { keyId: id } });
  });
}

/** The principal of a presented key, or null when it matches no live key. */
export async function resolveApiKey(db: Db, presented: string): Promise<Principal | null> {
  const row = await findApiKeyByHash(db, sha256Text(presented));
  if (!row || row.revokedAt) return null;
  const now = Date.now();
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await touchApiKey(db, row.id, new Date(now));
  }
  return { actor: `key:${row.id}`, role: row.role === 'admin' ? 'admin' : 'user', collectionId: row.collectionId };
}
