/** Start-up of auth: the admin password exists before anyone can sign in. */
import { env } from '@/lib/config/env';
import type { Db } from '@/lib/db/client';
import { ensureAdminPassword, type PasswordBootstrap } from './password';

const done = new WeakMap<Db, Promise<PasswordBootstrap>>();

/**
 * Stores the admin password hash (from ADMIN_PASSWORD, or generated and printed once) the first
 * time it is called for a database; later calls return the same promise. Call it at start.
 */
export function bootstrapAuth(db: Db): Promise<PasswordBootstrap> {
  let pending = done.get(db);
  if (!pending) {
    pending = ensureAdminPassword(db, env.ADMIN_PASSWORD, (line) => console.info(line));
    // A failed attempt (database busy at start) is retried by the next call.
    pending.catch(() => done.delete(db));
    done.set(db, pending);
  }
  return pending;
}
