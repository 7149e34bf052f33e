/**
 * Audit retention: the setting and the pruning the runtime runs at start. Kept apart from the audit
 * use cases (../audit.ts) so the runtime layer imports no use case.
 */
import type { Db } from '@/lib/db/client';

/** Setting key of the audit retention in days. */
const RETENTION_KEY = 'audit.retentionDays';
/** Default retention: one year (audit entries older than this are pruned). */
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;

/** Deletes audit entries older than the retention; returns how many (called at start and on change). */
export async function pruneAudit(db: Db): Promise<number> {
  const days = await readRetention(db);
  const { count } = await db.auditEntry.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - days * 86_400_000) } } });
  return count;
}

/** The retention in days (the default when unset or invalid). */
export async function readRetention(db: Db): Promise<number> {
  const row = await db.setting.findUnique({ where: { key: RETENTION_KEY } });
  const days = row ? Number(row.value) : DEFAULT_AUDIT_RETENTION_DAYS;
  return Number.isInteger(days) && days > 0 ? days : DEFAULT_AUDIT_RETENTION_DAYS;
}

/** Stores the retention in days. */
export async function writeRetention(db: Db, retentionDays: number): Promise<void> {
  await db.setting.upsert({ where: { key: RETENTION_KEY }, create: { key: RETENTION_KEY, value: String(retentionDays) }, update: { value: String(retentionDays) } });
}
