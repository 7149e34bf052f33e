/** Collection rows: a gallery's model version, threshold settings, `settings` JSON and change head. */
import type { Db, DbOrTx, Tx } from './client';
import { collectionSettingsSchema, parseColumn, type CollectionSettings } from './json';

type StoredCollection = NonNullable<Awaited<ReturnType<Db['collection']['findUnique']>>>;

/** A collection row, its `settings` parsed. */
export type CollectionRow = Omit<StoredCollection, 'settings'> & { settings: CollectionSettings };

/** Fields of a new collection row. */
export interface NewCollectionRow {
  name: string;
  kind: string;
  /** Object collections: 'drawings' | 'photos'; null for faces. */
  domain: string | null;
  modelVersion: string;
  targetFar: number;
  settings: CollectionSettings;
}

/** Fields `updateCollectionRow` may change (absent: unchanged). */
export interface CollectionRowPatch {
  name?: string;
  targetFar?: number;
  thresholdOverride?: number | null;
  thresholdModel?: string | null;
  settings?: CollectionSettings;
}

function toRow(r: StoredCollection): CollectionRow {
  // A JSON null (never written by lib/db) reads as no settings, as it always has.
  return { ...r, settings: parseColumn(collectionSettingsSchema, r.settings ?? {}, { column: 'Collection.settings', id: r.id }) };
}

/** A collection by id, or null. */
export async function findCollection(db: DbOrTx, id: string): Promise<CollectionRow | null> {
  // Raw SQL, as Prisma reads the same columns back typed (Json parsed, DateTime as Date) on SQLite
  // and PostgreSQL alike: every collection request starts here, and findUnique's query interpreter
  // made it 0.34 ms a read against 0.22 ms with the settings still validated (SQLite, one-off script).
  const [row] = await db.$queryRaw<StoredCollection[]>`SELECT * FROM "Collection" WHERE "id" = ${id}`;
  return row ? toRow(row) : null;
}

/** A collection by id; `isDbError(err, 'notFound')` when it does not exist (callers that hold a job on it). */
export async function getCollectionRow(db: DbOrTx, id: string): Promise<CollectionRow> {
  return toRow(await db.collection.findUniqueOrThrow({ where: { id } }));
}

/** Whether a collection exists. */
export async function collectionExists(db: DbOrTx, id: string): Promise<boolean> {
  return (await db.collection.findUnique({ where: { id }, select: { id: true } })) !== null;
}

/** Collections by id ascending: only `scopeId` when set, only ids after `afterId` when set. */
export async function findCollections(db: DbOrTx, q: { scopeId: string | null; afterId?: string; take: number }): Promise<CollectionRow[]> {
  const rows = await db.collection.findMany({
    where: {
      ...(q.scopeId !== null ? { id: q.scopeId } : {}),
      ...(q.afterId !== undefined ? { id: { gt: q.afterId, ...(q.scopeId !== null ? { equals: q.scopeId } : {}) } } : {}),
    },
    orderBy: { id: 'asc' },
    take: q.take,
  });
  return rows.map(toRow);
}

/** Every collection's id and model version (the indexes to open at start). */
export function findCollectionModels(db: DbOrTx): Promise<{ id: string; modelVersion: string }[]> {
  return db.collection.findMany({ select: { id: true, modelVersion: true } });
}

/** The distinct (kind, model version) pairs collections use. */
export function findModelVersionsInUse(db: DbOrTx): Promise<{ kind: string; modelVersion: string }[]> {
  return db.collection.findMany({ distinct: ['modelVersion'], select: { kind: true, modelVersion: true } });
}

/** The collections a model version serves, by name. */
export function findCollectionsOfModel(db: DbOrTx, modelVersion: string): Promise<{ id: string; name: string }[]> {
  return db.collection.findMany({ where: { modelVersion }, select: { id: true, name: true }, orderBy: { name: 'asc' } });
}

/** A collection's kind and model version, or null. */
export function findCollectionModel(db: DbOrTx, id: string): Promise<{ kind: string; modelVersion: string } | null> {
  return db.collection.findUnique({ where: { id }, select: { kind: true, modelVersion: true } });
}

/** A collection's model version, or null (inside an enrolment's transaction). */
export function findCollectionModelVersion(db: DbOrTx, id: string): Promise<{ modelVersion: string } | null> {
  return db.collection.findUnique({ where: { id }, select: { modelVersion: true } });
}

/** The last change sequence written for a collection (0 when it does not exist). */
export async function findHeadSequence(db: DbOrTx, id: string): Promise<number> {
  const row = await db.collection.findUnique({ where: { id }, select: { headSequence: true } });
  return row?.headSequence ?? 0;
}

/** Stores a new collection. */
export async function createCollectionRow(tx: Tx, data: NewCollectionRow): Promise<CollectionRow> {
  return toRow(await tx.collection.create({ data }));
}

/** Changes a collection's fields. */
export async function updateCollectionRow(tx: Tx, id: string, patch: CollectionRowPatch): Promise<CollectionRow> {
  return toRow(await tx.collection.update({ where: { id }, data: patch }));
}

/** Points a collection at another model version, keeping the one it leaves as the rollback target. */
export async function setCollectionModel(tx: Tx, id: string, modelVersion: string, previousModelVersion: string): Promise<CollectionRow> {
  return toRow(await tx.collection.update({ where: { id }, data: { modelVersion, previousModelVersion } }));
}

/** Deletes a collection; identities, images, embeddings and changes cascade. */
export async function deleteCollectionRow(tx: Tx, id: string): Promise<void> {
  await tx.collection.delete({ where: { id } });
}

/**
 * Adds `n` to a collection's head sequence and returns the new head. The increment takes the
 * row's write lock (PostgreSQL row lock, SQLite's write lock) until the transaction commits.
 */
export async function incrementHeadSequence(tx: Tx, id: string, n: number): Promise<number> {
  const row = await tx.collection.update({ where: { id }, data: { headSequence: { increment: n } }, select: { headSequence: true } });
  return row.headSequence;
}
