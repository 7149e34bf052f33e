/** Image rows: one enrolled image of an identity, its `box` and `verdicts` JSON parsed. */
import type { Db, DbOrTx, Tx } from './client';
import { Prisma } from './generated/sqlite/client';
import { imageBoxSchema, imageVerdictsSchema, jsonInput, parseColumn, parseNullableColumn, type StoredBox } from './json';

type StoredImage = NonNullable<Awaited<ReturnType<Db['image']['findUnique']>>>;
type StoredBlob = NonNullable<Awaited<ReturnType<Db['blob']['findUnique']>>>;

/** An image row, `box` and `verdicts` parsed. */
export type ImageRow = Omit<StoredImage, 'box' | 'verdicts'> & { box: StoredBox | null; verdicts: string[] };

/** An image row with its blob row. */
export type ImageWithBlob = ImageRow & { blob: StoredBlob };

/** Parses an image's `box` and `verdicts` columns. */
export function parseImageJson<R extends { id: string; box: unknown; verdicts: unknown }>(r: R): Omit<R, 'box' | 'verdicts'> & { box: StoredBox | null; verdicts: string[] } {
  return {
    ...r,
    box: parseNullableColumn(imageBoxSchema, r.box, { column: 'Image.box', id: r.id }),
    verdicts: parseColumn(imageVerdictsSchema, r.verdicts, { column: 'Image.verdicts', id: r.id }),
  };
}

/** Images of a collection whose bytes have one of these SHA-256s, with their identity's name. */
export async function findImagesBySha(db: DbOrTx, collectionId: string, shas: string[]) {
  const rows = await db.image.findMany({
    where: { collectionId, blob: { sha256: { in: shas } } },
    select: { id: true, identityId: true, verdicts: true, box: true, blob: { select: { sha256: true } }, identity: { select: { name: true } } },
  });
  return rows.map(parseImageJson);
}

/** Stores a new image; returns its id. */
export async function createImageRow(tx: Tx, data: { collectionId: string; identityId: string; blobId: string; seq: number; verdicts: string[]; box: StoredBox | null }): Promise<string> {
  const { box, verdicts, ...rest } = data;
  const row = await tx.image.create({ data: { ...rest, verdicts: jsonInput(verdicts), ...(box ? { box: jsonInput(box) } : {}) }, select: { id: true } });
  return row.id;
}

/** An image with its blob, or null. */
export async function findImage(db: DbOrTx, id: string): Promise<ImageWithBlob | null> {
  const row = await db.image.findUnique({ where: { id }, include: { blob: true } });
  return row ? parseImageJson(row) : null;
}

/** An identity's images with their blobs in enrolment order, after seq `afterSeq` when given. */
export async function findIdentityImages(db: DbOrTx, q: { identityId: string; afterSeq?: number; take: number }): Promise<ImageWithBlob[]> {
  const rows = await db.image.findMany({
    where: { identityId: q.identityId, ...(q.afterSeq !== undefined ? { seq: { gt: q.afterSeq } } : {}) },
    orderBy: { seq: 'asc' },
    take: q.take,
    include: { blob: true },
  });
  return rows.map(parseImageJson);
}

/** Moves an image to another identity. */
export async function moveImageRow(tx: Tx, id: string, identityId: string): Promise<ImageWithBlob> {
  return parseImageJson(await tx.image.update({ where: { id }, data: { identityId }, include: { blob: true } }));
}

/** Deletes an image; false when it was already gone. */
export async function deleteImageRow(tx: Tx, id: string): Promise<boolean> {
  const { count } = await tx.image.deleteMany({ where: { id } });
  return count > 0;
}

/** Images referencing a blob. */
export function countBlobImages(tx: Tx, blobId: string): Promise<number> {
  return tx.image.count({ where: { blobId } });
}

/** Images of a collection. */
export function countImages(db: DbOrTx, collectionId: string): Promise<number> {
  return db.image.count({ where: { collectionId } });
}

/** Each image's blob id and SHA-256 in a collection (what deleting it may orphan). */
export function findCollectionImageBlobs(db: DbOrTx, collectionId: string): Promise<{ blobId: string; blob: { sha256: string } }[]> {
  return db.image.findMany({ where: { collectionId }, select: { blobId: true, blob: { select: { sha256: true } } } });
}

/** The SHA-256s of an identity's images. */
export async function findIdentityImageShas(db: DbOrTx, identityId: string): Promise<string[]> {
  const rows = await db.image.findMany({ where: { identityId }, select: { blob: { select: { sha256: true } } } });
  return rows.map((r) => r.blob.sha256);
}

/** An identity's image labels and blob ids in enrolment order. */
export function findIdentityImageSeqs(tx: Tx, identityId: string): Promise<{ seq: number; blobId: string }[]> {
  return tx.image.findMany({ where: { identityId }, select: { seq: true, blobId: true }, orderBy: { seq: 'asc' } });
}

/** The images of a collection at these labels, with identity id and name (search results). */
export async function findImagesBySeq(db: DbOrTx, collectionId: string, seqs: number[]): Promise<{ seq: number; identityId: string; identity: { name: string } }[]> {
  if (seqs.length === 0) return [];
  // One statement with a join: Prisma's findMany with the identity relation runs two and took
  // 0.52 ms per search of 10 labels against 0.18 ms for this (SQLite, 3,000 images).
  const rows = await db.$queryRaw<{ seq: number | bigint; identityId: string; name: string }[]>`
    SELECT i."seq", i."identityId", d."name" FROM "Image" i JOIN "Identity" d ON d."id" = i."identityId"
    WHERE i."collectionId" = ${collectionId} AND i."seq" IN (${Prisma.join(seqs)})`;
  return rows.map((r) => ({ seq: Number(r.seq), identityId: r.identityId, identity: { name: r.name } }));
}

/** Per identity of a collection, how many images it has. */
export async function countImagesByIdentity(db: DbOrTx, collectionId: string): Promise<number[]> {
  const groups = await db.image.groupBy({ by: ['identityId'], where: { collectionId }, _count: { _all: true } });
  return groups.map((g) => g._count._all);
}

/** Images of the collection without an embedding under `modelVersion`. */
function lacking(collectionId: string, modelVersion: string) {
  return { collectionId, embeddings: { none: { modelVersion } } };
}

/** How many images of a collection lack an embedding under a version. */
export function countImagesLacking(db: DbOrTx, collectionId: string, modelVersion: string): Promise<number> {
  return db.image.count({ where: lacking(collectionId, modelVersion) });
}

/** The first `take` images (by label) of a collection lacking an embedding under a version. */
export function findImagesLacking(db: DbOrTx, collectionId: string, modelVersion: string, take: number): Promise<{ id: string; blob: { sha256: string } }[]> {
  return db.image.findMany({ where: lacking(collectionId, modelVersion), orderBy: { seq: 'asc' }, take, select: { id: true, blob: { select: { sha256: true } } } });
}

/** Labels and encoded vectors of a collection's images embedded under a version, after label `afterSeq`, `take` at most. */
export function findEmbeddedImagesAfter(db: DbOrTx, q: { collectionId: string; modelVersion: string; afterSeq: number; take: number }): Promise<{ seq: number; embeddings: { vector: Uint8Array }[] }[]> {
  return db.image.findMany({
    where: { collectionId: q.collectionId, seq: { gt: q.afterSeq }, embeddings: { some: { modelVersion: q.modelVersion } } },
    orderBy: { seq: 'asc' },
    take: q.take,
    select: { seq: true, embeddings: { where: { modelVersion: q.modelVersion }, select: { vector: true } } },
  });
}

/** The images of a collection at these labels with their encoded vector under a version (none when not embedded). */
export function findImageVectors(db: DbOrTx, collectionId: string, modelVersion: string, seqs: number[]): Promise<{ seq: number; embeddings: { vector: Uint8Array }[] }[]> {
  return db.image.findMany({ where: { collectionId, seq: { in: seqs } }, select: { seq: true, embeddings: { where: { modelVersion }, select: { vector: true } } } });
}
