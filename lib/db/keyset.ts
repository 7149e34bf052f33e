/** Keyset pagination shared by the newest-first lists (audit entries, API keys). */

/** The sort key of the last row of a page in (createdAt desc, id desc) order. */
export interface NewestFirstKey {
  createdAt: Date;
  id: string;
}

/** Prisma `where` for rows after `key` in (createdAt desc, id desc) order; {} without one. */
export function afterKey(key: NewestFirstKey | null | undefined): { OR?: object[] } {
  if (!key) return {};
  return { OR: [{ createdAt: { lt: key.createdAt } }, { createdAt: key.createdAt, id: { lt: key.id } }] };
}
