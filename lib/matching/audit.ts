/** The audit log: every decision (search, verify) and every admin operation, append-only. */
import { createAuditEntry, findAuditEntries, type NewAuditEntry } from '@/lib/db/audit';
import type { DbOrTx } from '@/lib/db/client';
import { InputError } from '@/lib/errors';
import type { Principal } from '@/lib/auth';
import { requireAdmin } from './caller';
import { runtime } from './context';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from './page';
import { pruneAudit, readRetention, writeRetention } from './runtime/audit-retention';
import type { AuditEntryDto } from './contract/audit';

export { DEFAULT_AUDIT_RETENTION_DAYS } from './runtime/audit-retention';

/** What one audit entry records (its actor is the caller's). */
export type AuditInput = Omit<NewAuditEntry, 'actor'>;

/** Filters of `listAudit`. */
export interface AuditQuery extends PageRequest {
  collectionId?: string;
  action?: string;
  /** Inclusive lower bound on the time. */
  since?: Date;
  /** Exclusive upper bound on the time. */
  until?: Date;
}

/** Appends an audit entry (inside the caller's transaction when given one). */
export async function recordAudit(db: DbOrTx, caller: Principal, entry: AuditInput): Promise<void> {
  await createAuditEntry(db, { ...entry, actor: caller.actor });
}

/**
 * Appends a decision's audit entry (search, verify) through the runtime's group commit
 * (runtime/audit-writer.ts); resolves once it is committed, so an answered request is audited.
 */
export function recordDecision(caller: Principal, entry: AuditInput): Promise<void> {
  return runtime().audit.append({ ...entry, actor: caller.actor });
}

/** Audit entries, newest first (admin only). */
export async function listAudit(caller: Principal, query: AuditQuery = {}): Promise<Page<AuditEntryDto>> {
  requireAdmin(caller, 'reading the audit log');
  const { db } = runtime();
  const limit = pageLimit(query);
  const cursor = decodeCursor(query.cursor, 2);
  for (const [name, d] of [['since', query.since], ['until', query.until]] as const) {
    if (d !== undefined && Number.isNaN(d.getTime())) throw new InputError('invalid_date', `${name} is not a valid date`);
  }
  const at = cursor ? new Date(cursor[0]) : null;
  const rows = await findAuditEntries(db, {
    collectionId: query.collectionId,
    action: query.action,
    since: query.since,
    until: query.until,
    after: cursor && at ? { createdAt: at, id: cursor[1] } : null,
    take: limit + 1,
  });
  return toPage(rows, limit, (r) => [r.createdAt.toISOString(), r.id], (r) => ({
    id: r.id,
    createdAt: r.createdAt.toISOString(),
    actor: r.actor,
    action: r.action,
    collectionId: r.collectionId,
    modelVersion: r.modelVersion,
    threshold: r.threshold,
    queryHash: r.queryHash,
    details: r.details,
  }));
}

/** Audit retention in days (admin only). */
export async function getAuditRetention(caller: Principal): Promise<{ retentionDays: number }> {
  requireAdmin(caller, 'reading the audit settings');
  return { retentionDays: await readRetention(runtime().db) };
}

/** Sets the audit retention (1..36500 days) and prunes older entries at once (admin only). */
export async function setAuditRetention(caller: Principal, retentionDays: number): Promise<{ retentionDays: number; pruned: number }> {
  requireAdmin(caller, 'changing the audit settings');
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 36_500) {
    throw new InputError('invalid_retention', `retentionDays must be an integer in 1..36500, got ${retentionDays}`);
  }
  const { db } = runtime();
  await writeRetention(db, retentionDays);
  await recordAudit(db, caller, { action: 'audit.retention', details: { retentionDays } });
  return { retentionDays, pruned: await pruneAudit(db) };
}
