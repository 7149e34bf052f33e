/** Cursor pages for the auth lists (same cursor shape as lib/matching: base64url JSON of the sort key). */
import { InputError } from '@/lib/errors';

/** One page of a list. */
export interface AuthPage<T> {
  /** Items of this page, newest first. */
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** Encodes `[createdAt ISO, id]` of the last item. */
export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

/** Decodes a cursor from `encodeCursor`; throws `invalid_cursor` on anything else. */
export function decodeCursor(cursor: string | undefined): { createdAt: Date; id: string } | null {
  if (!cursor) return null;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === 2 && typeof key[0] === 'string' && typeof key[1] === 'string') {
      const createdAt = new Date(key[0]);
      if (!Number.isNaN(createdAt.getTime())) return { createdAt, id: key[1] };
    }
  } catch {
    // fall through to the typed error
  }
  throw new InputError('invalid_cursor', 'cursor is not one this API returned; pass nextCursor from the previous page');
}
