/** Identities: who or what is matched, with their enrolled images. */
import { deleteUnusedBlobs } from '@/lib/db/blobs';
import { createChanges } from '@/lib/db/changes';
import type { DbOrTx } from '@/lib/db/client';
import { createIdentityRow, deleteIdentityRow, findIdentities, findIdentity, updateIdentityRow, type IdentityRow } from '@/lib/db/identities';
import { findIdentityImageSeqs, findIdentityImageShas } from '@/lib/db/images';
import { NotFoundError } from '@/lib/errors';
import { recordAudit } from './audit';
import type { Principal } from '@/lib/auth';
import { requireAdmin, requireScope } from './caller';
import { allocateSequences, conflictOnDuplicate, loadCollection, runtime } from './context';
import type { CommittedChange } from './runtime/index-store';
import { checkMetadata, checkName } from './names';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from './page';
import { applyToIndex } from './runtime/sync';
import type { CreateIdentityInput, IdentityDto, IdentityPatch } from './contract/identities';

/** Loads an identity the caller may see, or throws `identity_not_found` / `forbidden`. */
export async function loadIdentity(db: DbOrTx, caller: Principal, id: string): Promise<IdentityRow> {
  const row = await findIdentity(db, id);
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
      const created = await createIdentityRow(tx, { collectionId, name, externalId: input.externalId ?? null, metadata: input.metadata });
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
  const rows = await findIdentities(db, { collectionId, ...(req.q ? { q: req.q } : {}), ...(cursor ? { afterId: cursor[0] } : {}), take: limit + 1 });
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
      const updated = await updateIdentityRow(tx, id, {
        ...(patch.name !== undefined ? { name: checkName(patch.name) } : {}),
        ...(patch.externalId !== undefined ? { externalId: patch.externalId } : {}),
        ...(patch.metadata !== undefined ? { metadata: patch.metadata } : {}),
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
  const shas = await findIdentityImageShas(rt.db, id);
  const { changes } = await rt.blobs.withLock(shas, async () => {
    const stored = await rt.db.$transaction(async (tx) => {
      // Lock the collection row first (an increment by 0) so no enrolment adds images to this identity meanwhile.
      await allocateSequences(tx, collectionId, 0);
      const images = await findIdentityImageSeqs(tx, id);
      const changes: CommittedChange[] = [];
      if (images.length > 0) {
        const first = await allocateSequences(tx, collectionId, images.length);
        images.forEach((img, i) => changes.push({ sequence: first + i, op: 'delete', imageSeq: img.seq }));
        await createChanges(tx, collectionId, changes);
      }
      await deleteIdentityRow(tx, id);
      const orphanShas = await deleteUnusedBlobs(tx, images.map((i) => i.blobId));
      await recordAudit(tx, caller, { action: 'identity.delete', collectionId, details: { identityId: id, name: identity.name, images: images.length } });
      return { changes, orphanShas };
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
    metadata: r.metadata,
    imageCount: r._count.images,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}
