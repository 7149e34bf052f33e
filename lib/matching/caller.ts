/**
 * Who calls the domain: every use case takes a `Caller`, checks its role and collection scope
 * here, and records its `actor` in the audit log.
 */
import { AppError } from '@/lib/errors';

/** The principal behind a call, as resolved by lib/auth (or 'system' for scripts). */
export interface Caller {
  /** 'admin-session' | 'key:<id>' | 'system'. */
  actor: string;
  /** What each role may do: the role table (lib/auth/roles.ts), which the HTTP edge enforces; use cases check admin again. */
  role: 'admin' | 'user';
  /** Key scope: the one collection this caller may touch, or null for all. */
  collectionId: string | null;
}

/** The caller scripts and start-up code act as. */
export const SYSTEM_CALLER: Caller = Object.freeze({ actor: 'system', role: 'admin', collectionId: null });

/** Valid credentials, but not allowed to do this (403 at the edge). */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

/** Throws `forbidden` unless the caller is an admin. */
export function requireAdmin(caller: Caller, what: string): void {
  if (caller.role !== 'admin') throw new ForbiddenError(`${what} needs an admin key or the admin session; this key has role 'user'`);
}

/** Throws `forbidden` when the caller's key is scoped to another collection. */
export function requireScope(caller: Caller, collectionId: string): void {
  if (caller.collectionId !== null && caller.collectionId !== collectionId) {
    throw new ForbiddenError(`this key is scoped to collection ${caller.collectionId}, not ${collectionId}`);
  }
}
