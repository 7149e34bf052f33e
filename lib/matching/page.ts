/** Cursor pagination shared by every list: `{items, nextCursor}` with an opaque cursor. */
import { InputError } from '@/lib/errors';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './contract/common';

/** One page of a list. */
export interface Page<T> {
  /** Items of this page, in the list's order. */
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** Page request: `limit` 1..100 (default 50) and the cursor from the previous page. */
export interface PageRequest {
  /** Items per page, 1..100. */
  limit?: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string | null;
}


/** The validated page size. */
export function pageLimit(req: PageRequest): number {
  const limit = req.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new InputError('invalid_limit', `limit must be an integer in 1..${MAX_PAGE_SIZE}, got ${limit}`);
  }
  return limit;
}

/** Encodes the sort key of the last item (ids, or [iso time, id]) as an opaque cursor. */
export function encodeCursor(key: string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Decodes a cursor into `parts` strings; throws `invalid_cursor` on anything else. */
export function decodeCursor(cursor: string | null | undefined, parts: number): string[] | null {
  if (!cursor) return null;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === parts && key.every((k) => typeof k === 'string')) return key;
  } catch {
    // fall through to the typed error
  }
  throw new InputError('invalid_cursor', 'cursor is not one this API returned; pass nextCursor from the previous page');
}

/** Cuts `limit + 1` fetched rows into a page; `keyOf` gives the cursor key of the last item. */
export function toPage<R, T>(rows: R[], limit: number, keyOf: (row: R) => string[], map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { items: kept.map(map), nextCursor: more ? encodeCursor(keyOf(kept[kept.length - 1])) : null };
}
