/**
 * Who calls the domain: every use case takes the `Principal` lib/auth resolved (or SYSTEM_CALLER),
 * checks its role and collection scope here, and records its `actor` in the audit log. The role
 * table (lib/auth/roles.ts) is enforced at the HTTP edge; use cases check admin again.
 */
import type { Principal } from '@/lib/auth';
import { NotAllowedError } from '@/lib/errors';

/** The caller scripts and start-up code act as. */
export const SYSTEM_CALLER: Principal = Object.freeze({ actor: 'system', role: 'admin', collectionId: null });

/** Throws `forbidden` unless the caller is an admin. */
export function requireAdmin(caller: Principal, what: string): void {
  if (caller.role !== 'admin') throw new NotAllowedError(`${what} needs an admin key or the admin session; this key has role 'user'`);
}

/** Throws `forbidden` when the caller's key is scoped to another collection. */
export function requireScope(caller: Principal, collectionId: string): void {
  if (caller.collectionId !== null && caller.collectionId !== collectionId) {
    throw new NotAllowedError(`this key is scoped to collection ${caller.collectionId}, not ${collectionId}`);
  }
}
