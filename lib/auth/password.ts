/**
 * The admin password: ADMIN_PASSWORD, or one generated on first start and printed once to the
 * server log. Only its scrypt hash is stored, in the `Setting` row `admin.passwordHash`.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '@/lib/db/client';
import { createSetting, readSetting, writeSetting } from '@/lib/db/settings';
import { scryptOnThread } from './scrypt-thread';
import { safeEqual } from './tokens';

/** Setting key of the stored hash. */
export const PASSWORD_SETTING = 'admin.passwordHash';

// OWASP's scrypt minimum (N=2^17, r=8, p=1) needs 128 MiB per hash; N=2^15 keeps a login at
// ~50 ms and 32 MiB on the 2-core target while still costing an attacker 2^15 block mixes.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const KEY_BYTES = 32;

/** `scrypt$N$r$p$<salt b64url>$<hash b64url>` of a password. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptOnThread(password, salt, KEY_BYTES, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** True when `password` matches a hash written by `hashPassword`. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const key = await scryptOnThread(password, Buffer.from(salt, 'base64url'), KEY_BYTES, { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return safeEqual(key.toString('base64url'), hash);
}

/** What `ensureAdminPassword` did. */
export type PasswordBootstrap = 'kept' | 'set-from-env' | 'generated';

/**
 * Makes sure an admin password hash is stored. With `configured` (ADMIN_PASSWORD) the stored hash
 * follows it; without, a random password is generated once, printed once, and stored hashed.
 */
export async function ensureAdminPassword(db: Db, configured: string | undefined, log: (line: string) => void): Promise<PasswordBootstrap> {
  const stored = await readSetting(db, PASSWORD_SETTING);
  if (configured !== undefined) {
    if (stored !== null && (await verifyPassword(configured, stored))) return 'kept';
    await writeSetting(db, PASSWORD_SETTING, await hashPassword(configured));
    return 'set-from-env';
  }
  if (stored !== null) return 'kept';
  const password = randomBytes(15).toString('base64url');
  try {
    await createSetting(db, PASSWORD_SETTING, await hashPassword(password));
  } catch (err) {
    // Another instance stored one first: its password stands, ours was never valid.
    if ((await readSetting(db, PASSWORD_SETTING)) !== null) return 'kept';
    throw err;
  }
  log(`[auth] generated the admin password (shown once, stored hashed): ${password}`);
  return 'generated';
}

/** The stored admin password hash, or null before `ensureAdminPassword` ran. */
export async function readPasswordHash(db: Db): Promise<string | null> {
  return readSetting(db, PASSWORD_SETTING);
}
