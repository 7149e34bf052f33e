/** The audit log: every decision (search, verify) and every admin operation, append-only. */
import type { Db } from '@/lib/db/client';
import { InputError } from '@/lib/errors';
import type { Principal } from '@/lib/auth';
import { requireAdmin } from './caller';
import type { Tx } from './context';
import { runtime } from './context';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from './page';
import { pruneAudit, readRetention, writeRetention } from './runtime/audit-retention';
import type { AuditEntryDto } from './contract/audit';

export { DEFAULT_AUDIT_RETENTION_DAYS } from './runtime/audit-retention';

/** What one audit entry records. */
export interface AuditInput {
  /** e.g. 'search', 'verify', 'collection.create'. */
  action: string;
  collectionId?: string | null;
  modelVersion?: string | null;
  threshold?: number | null;
  /** SHA-256 of the query image (query images are not stored). */
  queryHash?: string | null;
  /** Decision, top neighbours with distances, or what an operation changed. */
  details?: Record<string, unknown>;
}

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
export async function recordAudit(db: Db | Tx, caller: Principal, entry: AuditInput): Promise<void> {
  await db.auditEntry.create({
    data: {
      actor: caller.actor,
      action: entry.action,
      collectionId: entry.collectionId ?? null,
      modelVersion: entry.modelVersion ?? null,
      threshold: entry.threshold ?? null,
      queryHash: entry.queryHash ?? null,
      ...(entry.details ? { details: entry.details as object } : {}),
    },
  });
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
  const rows = await db.auditEntry.findMany({
    where: {
      ...(query.collectionId ? { collectionId: query.collectionId } : {}),
      ...(query.action ? { action: query.action } : {}),
      createdAt: { ...(query.since ? { gte: query.since } : {}), ...(query.until ? { lt: query.until } : {}) },
      ...(cursor && at ? { OR: [{ createdAt: { lt: at } }, { createdAt: at, id: { lt: cursor[1] } }] } : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
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
    details: r.details ?? null,
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
