/**
 * Audit retention: the setting and the pruning the runtime runs at start. Kept apart from the audit
 * use cases (../audit.ts) so the runtime layer imports no use case.
 */
import { deleteAuditEntriesBefore } from '@/lib/db/audit';
import type { Db } from '@/lib/db/client';
import { readSetting, writeSetting } from '@/lib/db/settings';

/** Setting key of the audit retention in days. */
const RETENTION_KEY = 'audit.retentionDays';
/** Default retention: one year (audit entries older than this are pruned). */
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;

/** Deletes audit entries older than the retention; returns how many (called at start and on change). */
export async function pruneAudit(db: Db): Promise<number> {
  const days = await readRetention(db);
  return deleteAuditEntriesBefore(db, new Date(Date.now() - days * 86_400_000));
}

/** The retention in days (the default when unset or invalid). */
export async function readRetention(db: Db): Promise<number> {
  const value = await readSetting(db, RETENTION_KEY);
  const days = value !== null ? Number(value) : DEFAULT_AUDIT_RETENTION_DAYS;
  return Number.isInteger(days) && days > 0 ? days : DEFAULT_AUDIT_RETENTION_DAYS;
}

/** Stores the retention in days. */
export async function writeRetention(db: Db, retentionDays: number): Promise<void> {
  await writeSetting(db, RETENTION_KEY, String(retentionDays));
}
