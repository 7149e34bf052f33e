/** Identity rows: who or what is matched, with the `metadata` JSON parsed. */
import type { Db, DbOrTx, Tx } from './client';
import { parseImageJson } from './images';
import { jsonInput, jsonObjectSchema, parseNullableColumn, type JsonObject } from './json';

type StoredIdentity = NonNullable<Awaited<ReturnType<Db['identity']['findUnique']>>>;

/** An identity row with its image count, `metadata` parsed. */
export type IdentityRow = Omit<StoredIdentity, 'metadata'> & { metadata: JsonObject | null; _count: { images: number } };

/** Fields `updateIdentityRow` may change (absent: unchanged). */
export interface IdentityRowPatch {
  name?: string;
  externalId?: string | null;
  /** null leaves the stored metadata as it is (the API's documented patch behaviour). */
  metadata?: JsonObject | null;
}

const WITH_COUNT = { _count: { select: { images: true } } } as const;

/** Parses an identity's `metadata` column. */
export function parseMetadata<R extends { id: string; metadata: unknown }>(r: R): Omit<R, 'metadata'> & { metadata: JsonObject | null } {
  return { ...r, metadata: parseNullableColumn(jsonObjectSchema, r.metadata, { column: 'Identity.metadata', id: r.id }) };
}

/** An identity with its image count, or null. */
export async function findIdentity(db: DbOrTx, id: string): Promise<IdentityRow | null> {
  const row = await db.identity.findUnique({ where: { id }, include: WITH_COUNT });
  return row ? parseMetadata(row) : null;
}

/** Stores a new identity. */
export async function createIdentityRow(tx: Tx, data: { collectionId: string; name: string; externalId: string | null; metadata?: JsonObject | null }): Promise<IdentityRow> {
  const { metadata, ...rest } = data;
  return parseMetadata(await tx.identity.create({ data: { ...rest, ...(metadata ? { metadata: jsonInput(metadata) } : {}) }, include: WITH_COUNT }));
}

/** Changes an identity's fields. */
export async function updateIdentityRow(tx: Tx, id: string, patch: IdentityRowPatch): Promise<IdentityRow> {
  const { metadata, ...rest } = patch;
  const row = await tx.identity.update({ where: { id }, data: { ...rest, ...(metadata ? { metadata: jsonInput(metadata) } : {}) }, include: WITH_COUNT });
  return parseMetadata(row);
}

/** Deletes an identity; its images and embeddings cascade. */
export async function deleteIdentityRow(tx: Tx, id: string): Promise<void> {
  await tx.identity.delete({ where: { id } });
}

/** A collection's identities by id ascending: `q` keeps names containing it or that external id; `afterId` pages. */
export async function findIdentities(db: DbOrTx, q: { collectionId: string; q?: string; afterId?: string; take: number }): Promise<IdentityRow[]> {
  const rows = await db.identity.findMany({
    where: { collectionId: q.collectionId, ...(q.q ? { OR: [{ name: { contains: q.q } }, { externalId: q.q }] } : {}), ...(q.afterId !== undefined ? { id: { gt: q.afterId } } : {}) },
    orderBy: { id: 'asc' },
    take: q.take,
    include: WITH_COUNT,
  });
  return rows.map(parseMetadata);
}

/** The id of the identity with an external id in a collection, or null. */
export async function findIdentityIdByExternalId(db: DbOrTx, collectionId: string, externalId: string): Promise<string | null> {
  const row = await db.identity.findFirst({ where: { collectionId, externalId }, select: { id: true } });
  return row?.id ?? null;
}

/** Identities of a collection (all of them). */
export function countIdentities(db: DbOrTx, collectionId: string): Promise<number> {
  return db.identity.count({ where: { collectionId } });
}

/** Identities with at least one image: the gallery size N of the open-set threshold. */
export function countLiveIdentities(db: DbOrTx, collectionId: string): Promise<number> {
  return db.identity.count({ where: { collectionId, images: { some: {} } } });
}

/** A collection's identities by id with their images' blob hashes in enrolment order (a retrain's gallery). */
export function findIdentityBlobs(db: DbOrTx, collectionId: string): Promise<{ id: string; name: string; images: { blob: { sha256: string } }[] }[]> {
  return db.identity.findMany({
    where: { collectionId },
    orderBy: { id: 'asc' },
    select: { id: true, name: true, images: { orderBy: { seq: 'asc' }, select: { blob: { select: { sha256: true } } } } },
  });
}

/** A collection's identities with every image, its blob and its embeddings, oldest identity first (an export). */
export async function findCollectionForExport(db: DbOrTx, collectionId: string) {
  const rows = await db.identity.findMany({
    where: { collectionId },
    orderBy: { createdAt: 'asc' },
    include: { images: { orderBy: { seq: 'asc' }, include: { blob: true, embeddings: true } } },
  });
  return rows.map((i) => ({ ...parseMetadata(i), images: i.images.map(parseImageJson) }));
}
