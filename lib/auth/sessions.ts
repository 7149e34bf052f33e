/**
 * Admin browser sessions: `POST /api/session {password}` issues a random token in an HttpOnly,
 * SameSite=Strict cookie; only the token's SHA-256 is stored, with an expiry. Sign-ins go through
 * the failed-login throttle, and every wrong password is audited and logged.
 */
import { createAuditEntry } from '@/lib/db/audit';
import type { Db } from '@/lib/db/client';
import { createSessionRow, deleteExpiredSessions, deleteSessionByHash, findSessionByHash } from '@/lib/db/sessions';
import { bootstrapAuth } from './bootstrap';
import { readPasswordHash, verifyPassword } from './password';
import { NotAuthenticatedError, type Principal } from './principal';
import { loginThrottle, type FailureRecord } from './throttle';
import { randomToken, sha256Text } from './tokens';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'fewshot_session';
/** A session lasts 12 hours from sign-in. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** A new session: the token goes into the cookie and nowhere else. */
export interface NewSession {
  id: string;
  token: string;
  expiresAt: Date;
}

/**
 * Signs the admin in from client `address`. A wrong password is `not_authenticated` (401); while
 * the address or all addresses together have failed too often it is `too_many_attempts` (429),
 * answered (after a hold of up to 1 s) before the password is hashed.
 */
export async function createSession(db: Db, password: string, address: string): Promise<NewSession> {
  const attempt = await loginThrottle().admit(address);
  let ok: boolean;
  try {
    await bootstrapAuth(db);
    const hash = await readPasswordHash(db);
    ok = hash !== null && (await verifyPassword(password, hash));
  } catch (err) {
    // A check that could not run (database error) stays counted: failing it must not free tries.
    attempt.fail();
    throw err;
  }
  if (!ok) {
    await recordFailure(db, address, attempt.fail());
    throw new NotAuthenticatedError('wrong admin password');
  }
  attempt.succeed();
  const token = randomToken('');
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  const session = await db.$transaction(async (tx) => {
    await deleteExpiredSessions(tx, new Date());
    const created = await createSessionRow(tx, sha256Text(token), expiresAt);
    await createAuditEntry(tx, { actor: 'admin-session', action: 'session.create', details: { sessionId: created.id } });
    return created;
  });
  return { id: session.id, token, expiresAt };
}

async function recordFailure(db: Db, address: string, failure: FailureRecord): Promise<void> {
  const waiting = failure.addressWaitSeconds > 0 ? `; its next try waits ${failure.addressWaitSeconds} s` : '';
  console.warn(`[auth] wrong admin password from ${address} (${failure.addressFailures} from it, ${failure.totalFailures} in all${waiting})`);
  await createAuditEntry(db, { actor: 'anonymous', action: 'session.fail', details: { address, ...failure } });
}

/** Ends the session of a token (no-op when it is unknown or expired). */
export async function endSession(db: Db, token: string): Promise<void> {
  await deleteSessionByHash(db, sha256Text(token));
}

/** The admin principal of a live session token, or null. */
export async function resolveSession(db: Db, token: string): Promise<Principal | null> {
  const row = await findSessionByHash(db, sha256Text(token));
  if (!row || row.expiresAt.getTime() <= Date.now()) return null;
  return { actor: 'admin-session', role: 'admin', collectionId: null };
}

/** `Set-Cookie` value carrying a session token; `secure` when the request came over https. */
export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  const maxAge = Math.max(0, Math.round((expiresAt.getTime() - Date.now()) / 1000));
  return [`${SESSION_COOKIE}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAge}`, ...(secure ? ['Secure'] : [])].join('; ');
}

/** `Set-Cookie` value that removes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return [`${SESSION_COOKIE}=`, 'Path=/', 'HttpOnly', 'SameSite=Strict', 'Max-Age=0', ...(secure ? ['Secure'] : [])].join('; ');
}

/** The session token in a `Cookie` header, or null. */
export function readSessionToken(cookieHeader: string | null): string | null {
  if (!cookieHeader) return null;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || null;
  }
  return null;
}
