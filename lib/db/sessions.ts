/** Admin session rows (only the token's SHA-256 is stored). */
import type { DbOrTx } from './client';

/** A session row. */
export interface SessionRow {
  id: string;
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
}

/** Deletes sessions that expired before `now`. */
export async function deleteExpiredSessions(db: DbOrTx, now: Date): Promise<void> {
  await db.session.deleteMany({ where: { expiresAt: { lt: now } } });
}

/** Stores a new session. */
export function createSessionRow(db: DbOrTx, tokenHash: string, expiresAt: Date): Promise<SessionRow> {
  return db.session.create({ data: { tokenHash, expiresAt } });
}

/** Deletes the session of a token hash (no-op when unknown). */
export async function deleteSessionByHash(db: DbOrTx, tokenHash: string): Promise<void> {
  await db.session.deleteMany({ where: { tokenHash } });
}

/** The session of a token hash, or null. */
export function findSessionByHash(db: DbOrTx, tokenHash: string): Promise<SessionRow | null> {
  return db.session.findUnique({ where: { tokenHash } });
}
