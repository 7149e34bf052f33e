/** Identities: who or what is matched, with their enrolled images. */
import { NotFoundError } from '@/lib/errors';
import { recordAudit } from './audit';
import type { Principal } from '@/lib/auth';
import { requireAdmin, requireScope } from './caller';
import { allocateSequences, conflictOnDuplicate, loadCollection, runtime, type Tx } from './context';
import type { CommittedChange } from './runtime/index-store';
import { checkMetadata, checkName } from './names';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from './page';
import { applyToIndex } from './runtime/sync';
import type { CreateIdentityInput, IdentityDto, IdentityPatch } from './contract/identities';

type IdentityRow = { id: string; collectionId: string; name: string; externalId: string | null; metadata: unknown; createdAt: Date; updatedAt: Date; _count: { images: number } };

/** Loads an identity the caller may see, or throws `identity_not_found` / `forbidden`. */
export async function loadIdentity(db: ReturnType<typeof runtime>['db'] | Tx, caller: Principal, id: string) {
  const row = await db.identity.findUnique({ where: { id }, include: { _count: { select: { images: true } } } });
  if (!row) throw new NotFoundError('identity_not_found', `no identity with id ${id}`);
  requireScope(caller, row.collectionId);
  return row;
}

/** Creates an identity in a collection. */
export async function createIdentity(caller: Principal, collectionId: string, input: CreateIdentityInput): Promise<IdentityDto> {
  const { db } = runtime();
  await loadCollection(db, caller, collectionId);
  const name = checkName(input.name);
  checkMetadata(input.metadata);
  const row = await db
    .$transaction(async (tx) => {
      const created = await tx.identity.create({
        data: { collectionId, name, externalId: input.externalId ?? null, ...(input.metadata ? { metadata: input.metadata as object } : {}) },
        include: { _count: { select: { images: true } } },
      });
      await recordAudit(tx, caller, { action: 'identity.create', collectionId, details: { identityId: created.id, name } });
      return created;
    })
    .catch((err) => conflictOnDuplicate(err, `externalId "${input.externalId}" is already used in collection ${collectionId}`));
  return toDto(row);
}

/** Lists a collection's identities by id; `q` keeps names containing it. */
export async function listIdentities(caller: Principal, collectionId: string, req: PageRequest & { q?: string } = {}): Promise<Page<IdentityDto>> {
  const { db } = runtime();
  await loadCollection(db, caller, collectionId);
  const limit = pageLimit(req);
  const cursor = decodeCursor(req.cursor, 1);
  const rows = await db.identity.findMany({
    where: { collectionId, ...(req.q ? { OR: [{ name: { contains: req.q } }, { externalId: req.q }] } : {}), ...(cursor ? { id: { gt: cursor[0] } } : {}) },
    orderBy: { id: 'asc' },
    take: limit + 1,
    include: { _count: { select: { images: true } } },
  });
  return toPage(rows, limit, (r) => [r.id], toDto);
}

/** One identity. */
export async function getIdentity(caller: Principal, id: string): Promise<IdentityDto> {
  return toDto(await loadIdentity(runtime().db, caller, id));
}

/** Renames an identity or changes its external id or metadata (admin). */
export async function updateIdentity(caller: Principal, id: string, patch: IdentityPatch): Promise<IdentityDto> {
  requireAdmin(caller, 'changing an identity');
  const { db } = runtime();
  const current = await loadIdentity(db, caller, id);
  checkMetadata(patch.metadata);
  const row = await db
    .$transaction(async (tx) => {
      const updated = await tx.identity.update({
        where: { id },
        data: {
          ...(patch.name !== undefined ? { name: checkName(patch.name) } : {}),
          ...(patch.externalId !== undefined ? { externalId: patch.externalId } : {}),
          ...(patch.metadata !== undefined ? { metadata: (patch.metadata ?? undefined) as object | undefined } : {}),
        },
        include: { _count: { select: { images: true } } },
      });
      await recordAudit(tx, caller, { action: 'identity.update', collectionId: current.collectionId, details: { identityId: id, patch } });
      return updated;
    })
    .catch((err) => conflictOnDuplicate(err, `externalId "${patch.externalId}" is already used in collection ${current.collectionId}`));
  return toDto(row);
}

/**
 * Deletes an identity and its images. The images' 'delete' changes are committed with it and
 * applied to the index before this returns, so searches never return them again.
 */
export async function deleteIdentity(caller: Principal, id: string): Promise<void> {
  requireAdmin(caller, 'deleting an identity');
  const rt = runtime();
  const identity = await loadIdentity(rt.db, caller, id);
  const collectionId = identity.collectionId;
  const shas = (await rt.db.image.findMany({ where: { identityId: id }, select: { blob: { select: { sha256: true } } } })).map((r) => r.blob.sha256);
  const { changes } = await rt.blobs.withLock(shas, async () => {
    const stored = await rt.db.$transaction(async (tx) => {
      // Lock the collection row first (an increment by 0) so no enrolment adds images to this identity meanwhile.
      await allocateSequences(tx, collectionId, 0);
      const images = await tx.image.findMany({ where: { identityId: id }, select: { seq: true, blobId: true }, orderBy: { seq: 'asc' } });
      const changes: CommittedChange[] = [];
      if (images.length > 0) {
        const first = await allocateSequences(tx, collectionId, images.length);
        images.forEach((img, i) => changes.push({ sequence: first + i, op: 'delete', imageSeq: img.seq }));
        await tx.change.createMany({ data: changes.map((c) => ({ collectionId, sequence: c.sequence, op: c.op, imageSeq: c.imageSeq })) });
      }
      await tx.identity.delete({ where: { id } });
      const blobIds = images.map((i) => i.blobId);
      const orphans = await tx.blob.findMany({ where: { id: { in: blobIds }, images: { none: {} } }, select: { id: true, sha256: true } });
      await tx.blob.deleteMany({ where: { id: { in: orphans.map((b) => b.id) } } });
      await recordAudit(tx, caller, { action: 'identity.delete', collectionId, details: { identityId: id, name: identity.name, images: images.length } });
      return { changes, orphanShas: orphans.map((b) => b.sha256) };
    });
    for (const sha of stored.orphanShas) await rt.blobs.remove(sha);
    return stored;
  });
  await applyToIndex(rt, collectionId, changes);
}

function toDto(r: IdentityRow): IdentityDto {
  return {
    id: r.id,
    collectionId: r.collectionId,
    name: r.name,
    externalId: r.externalId,
    // checkMetadata stores only JSON objects (or nothing).
    metadata: (r.metadata ?? null) as Record<string, unknown> | null,
    imageCount: r._count.images,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}
