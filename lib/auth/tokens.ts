/** Random secrets and their stored form: only a SHA-256 of a key or session token is kept. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random secret: `prefix` + 32 random bytes in base64url (256 bits). */
export function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** SHA-256 of a UTF-8 string, lower-case hex (the stored form of keys and session tokens). */
export function sha256Text(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Constant-time string comparison (false on different lengths). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
