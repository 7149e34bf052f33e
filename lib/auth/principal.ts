/** Who is calling, as resolved from an API key or the admin session. */
import { AppError, NotAllowedError } from '@/lib/errors';

/** A resolved caller: who calls, with what role and key scope. Every lib/matching use case takes one. */
export interface Principal {
  /** 'admin-session' | 'key:<id>' | 'key:env' (the API_KEY variable) | 'system' (scripts, start-up). */
  actor: string;
  /** What each role may do: the role table, lib/auth/roles.ts. */
  role: 'admin' | 'user';
  /** Key scope: the one collection this caller may touch, or null for all. */
  collectionId: string | null;
}

/** Roles a key can have. */
export const ROLES = ['admin', 'user'] as const;

/** No credentials, or credentials that match nothing (401 at the edge). */
export class NotAuthenticatedError extends AppError {
  static override readonly kind: string = 'NotAuthenticatedError';

  constructor(message: string) {
    super('not_authenticated', message);
  }
}

/** Throws `forbidden` unless the principal is an admin. */
export function requireAdminRole(principal: Principal): void {
  if (principal.role !== 'admin') {
    throw new NotAllowedError(`this route needs an admin key or the admin session; ${principal.actor} has role 'user'`);
  }
}
