/** Audit rows: the one writer of the append-only audit log, and its reads. */
import type { Db, DbOrTx } from './client';
import { afterKey, type NewestFirstKey } from './keyset';
import { jsonInput, jsonObjectSchema, parseNullableColumn, type JsonObject } from './json';

/** One audit row to append. */
export interface NewAuditEntry {
  /** Who: 'admin-session', 'key:<id>', 'system', 'anonymous'. */
  actor: string;
  /** e.g. 'search', 'collection.create', 'key.revoke'. */
  action: string;
  collectionId?: string | null;
  modelVersion?: string | null;
  threshold?: number | null;
  /** SHA-256 of the query image (query images are not stored). */
  queryHash?: string | null;
  /** Decision, top neighbours with distances, or what an operation changed. */
  details?: JsonObject;
}

/** An audit row as stored, its `details` parsed. */
export interface AuditEntryRow {
  id: string;
  createdAt: Date;
  actor: string;
  action: string;
  collectionId: string | null;
  modelVersion: string | null;
  threshold: number | null;
  queryHash: string | null;
  details: JsonObject | null;
}

/** Filters of `findAuditEntries`. */
export interface AuditFilter {
  collectionId?: string;
  action?: string;
  /** Inclusive lower bound on the time. */
  since?: Date;
  /** Exclusive upper bound on the time. */
  until?: Date;
  /** Keyset cursor: only rows after (createdAt, id) in newest-first order. */
  after?: NewestFirstKey | null;
  take: number;
}

type Row = Omit<AuditEntryRow, 'details'> & { details: unknown };

function toRow(r: Row): AuditEntryRow {
  return { ...r, details: parseNullableColumn(jsonObjectSchema, r.details, { column: 'AuditEntry.details', id: r.id }) };
}

function toData(entry: NewAuditEntry) {
  return {
    actor: entry.actor,
    action: entry.action,
    collectionId: entry.collectionId ?? null,
    modelVersion: entry.modelVersion ?? null,
    threshold: entry.threshold ?? null,
    queryHash: entry.queryHash ?? null,
    ...(entry.details ? { details: jsonInput(entry.details) } : {}),
  };
}

/** Appends an audit row (inside the caller's transaction when given one). */
export async function createAuditEntry(db: DbOrTx, entry: NewAuditEntry): Promise<void> {
  await db.auditEntry.create({ data: toData(entry) });
}

/**
 * Appends several audit rows in one transaction: all or none. One `create` per row rather than
 * `createMany`: Prisma 7.10 keeps the query plans of `create` and of batches of them, but compiles
 * every `createMany` afresh (its client leaves createMany out of the plan cache), which was a third
 * of each audit write's time.
 */
export async function createAuditEntries(db: Db, entries: NewAuditEntry[]): Promise<void> {
  const creates = entries.map((e) => db.auditEntry.create({ data: toData(e), select: { id: true } }));
  if (creates.length === 1) await creates[0];
  else await db.$transaction(creates);
}

/** Audit rows matching a filter, newest first (ties by id, descending). */
export async function findAuditEntries(db: DbOrTx, f: AuditFilter): Promise<AuditEntryRow[]> {
  const rows = await db.auditEntry.findMany({
    where: {
      ...(f.collectionId ? { collectionId: f.collectionId } : {}),
      ...(f.action ? { action: f.action } : {}),
      createdAt: { ...(f.since ? { gte: f.since } : {}), ...(f.until ? { lt: f.until } : {}) },
      ...afterKey(f.after),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: f.take,
  });
  return rows.map(toRow);
}

/** The newest `take` audit rows of a model version with one of `actions`, newest first. */
export async function findModelAuditEntries(db: DbOrTx, modelVersion: string, actions: string[], take: number): Promise<AuditEntryRow[]> {
  const rows = await db.auditEntry.findMany({ where: { modelVersion, action: { in: actions } }, orderBy: { createdAt: 'desc' }, take });
  return rows.map(toRow);
}

/** Deletes audit rows created before `cutoff`; returns how many. */
export async function deleteAuditEntriesBefore(db: DbOrTx, cutoff: Date): Promise<number> {
  const { count } = await db.auditEntry.deleteMany({ where: { createdAt: { lt: cutoff } } });
  return count;
}
