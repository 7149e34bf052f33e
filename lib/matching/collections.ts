/** Collections: a gallery of identities matched with one model version. */
import { deleteUnusedBlobs } from '@/lib/db/blobs';
import { createCollectionRow, deleteCollectionRow, findCollections, updateCollectionRow } from '@/lib/db/collections';
import { countIdentities } from '@/lib/db/identities';
import { countImages, findCollectionImageBlobs } from '@/lib/db/images';
import { InputError, NotReadyError } from '@/lib/errors';
import { recordAudit } from './audit';
import type { Principal } from '@/lib/auth';
import { requireAdmin } from './caller';
import { collectionThreshold, conflictOnDuplicate, gallerySize, indexKey, loadCollection, modelFor, runtime, type CollectionRow, type GallerySize } from './context';
import { dropTrials, peekTrials } from './gallery-calibration';
import { checkName } from './names';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from './page';
import { collectionDomainSchema, detectSettingSchema, efSettingSchema, MAX_EF, targetFarSchema, type CollectionDomain, type CollectionDto, type CollectionPatch, type CollectionSettings, type CreateCollectionInput } from './contract/collections';
import { defaultSlot } from './runtime/model-registry';

function checkFar(far: number): number {
  if (!targetFarSchema.safeParse(far).success) throw new InputError('invalid_target_far', `targetFar must be in (0, 1), got ${far}`);
  return far;
}

function checkSettings(kind: string, s: CollectionSettings | undefined): CollectionSettings {
  const detect = s?.detect ?? (kind === 'face' ? 'auto' : undefined);
  if (detect !== undefined && !detectSettingSchema.safeParse(detect).success) throw new InputError('invalid_settings', `settings.detect must be auto, always or never, got ${String(detect)}`);
  const ef = s?.ef;
  if (ef !== undefined && !efSettingSchema.safeParse(ef).success) throw new InputError('invalid_settings', `settings.ef must be an integer in 1..${MAX_EF}, got ${String(ef)}`);
  return { ...(detect ? { detect } : {}), ...(ef !== undefined ? { ef } : {}) };
}

/** The domain of a new collection: an object collection's (default photos), none for faces. */
function checkDomain(kind: 'face' | 'object', domain: CollectionDomain | undefined): CollectionDomain | null {
  if (kind === 'face') {
    if (domain !== undefined) throw new InputError('invalid_domain', `domain is for object collections (drawings or photos); a face collection takes none, got ${String(domain)}`);
    return null;
  }
  if (domain !== undefined && !collectionDomainSchema.safeParse(domain).success) throw new InputError('invalid_domain', `domain must be drawings or photos, got ${String(domain)}`);
  return domain ?? 'photos';
}

/** Creates a collection served by the default model of its kind and domain (admin only). */
export async function createCollection(caller: Principal, input: CreateCollectionInput): Promise<CollectionDto> {
  requireAdmin(caller, 'creating a collection');
  const rt = runtime();
  if (input.kind !== 'face' && input.kind !== 'object') throw new InputError('invalid_kind', `kind must be face or object, got ${String(input.kind)}`);
  const domain = checkDomain(input.kind, input.domain);
  const slot = defaultSlot(input.kind, domain);
  const model = rt.models.get(slot);
  if (!model) throw new NotReadyError('model_not_trained', `no ${domain ?? input.kind} model is loaded; train one (npm run train) and name it as "${slot}" in models/defaults.json`);
  const name = checkName(input.name);
  const row = await rt.db
    .$transaction(async (tx) => {
      const created = await createCollectionRow(tx, {
        name,
        kind: input.kind,
        domain,
        modelVersion: model.manifest.version,
        targetFar: checkFar(input.targetFar ?? 0.01),
        settings: checkSettings(input.kind, input.settings),
      });
      await recordAudit(tx, caller, { action: 'collection.create', collectionId: created.id, modelVersion: created.modelVersion, details: { name } });
      return created;
    })
    .catch((err) => conflictOnDuplicate(err, `a collection named "${name}" already exists`));
  await rt.indexes.ready({ collectionId: row.id, modelVersion: row.modelVersion, dim: model.manifest.embeddingDim });
  return toDto(row, 0, 0, { identities: 0, images: 0 });
}

/** Lists the collections the caller may see, by id. */
export async function listCollections(caller: Principal, req: PageRequest = {}): Promise<Page<CollectionDto>> {
  const { db } = runtime();
  const limit = pageLimit(req);
  const cursor = decodeCursor(req.cursor, 1);
  const rows = await findCollections(db, { scopeId: caller.collectionId, ...(cursor ? { afterId: cursor[0] } : {}), take: limit + 1 });
  const page = toPage(rows, limit, (r) => [r.id], (r) => r);
  return { items: await Promise.all(page.items.map((r) => withCounts(r))), nextCursor: page.nextCursor };
}

/** One collection. */
export async function getCollection(caller: Principal, id: string): Promise<CollectionDto> {
  const { db } = runtime();
  return withCounts(await loadCollection(db, caller, id));
}

/** Renames, re-targets or overrides the threshold of a collection (admin only). */
export async function updateCollection(caller: Principal, id: string, patch: CollectionPatch): Promise<CollectionDto> {
  requireAdmin(caller, 'changing a collection');
  const { db } = runtime();
  const current = await loadCollection(db, caller, id);
  const o = patch.thresholdOverride;
  if (o !== undefined && o !== null && !(o >= 0 && o <= 2)) {
    throw new InputError('invalid_threshold', `thresholdOverride is a Euclidean distance between unit vectors, in [0, 2]; got ${o}`);
  }
  const name = patch.name !== undefined ? checkName(patch.name) : undefined;
  const row = await db
    .$transaction(async (tx) => {
      const updated = await updateCollectionRow(tx, id, {
        ...(name !== undefined ? { name } : {}),
        ...(patch.targetFar !== undefined ? { targetFar: checkFar(patch.targetFar) } : {}),
        ...(o !== undefined ? { thresholdOverride: o, thresholdModel: o === null ? null : current.modelVersion } : {}),
        ...(patch.settings !== undefined ? { settings: checkSettings(current.kind, patch.settings) } : {}),
      });
      await recordAudit(tx, caller, { action: 'collection.update', collectionId: id, modelVersion: updated.modelVersion, details: { patch } });
      return updated;
    })
    .catch((err) => conflictOnDuplicate(err, `a collection named "${name}" already exists`));
  return withCounts(row);
}

/** Deletes a collection with its identities, images, unshared blobs and index files (admin only). */
export async function deleteCollection(caller: Principal, id: string): Promise<void> {
  requireAdmin(caller, 'deleting a collection');
  const rt = runtime();
  await loadCollection(rt.db, caller, id);
  const images = await findCollectionImageBlobs(rt.db, id);
  await rt.blobs.withLock(images.map((i) => i.blob.sha256), async () => {
    const orphans = await rt.db.$transaction(async (tx) => {
      // Images enrolled after the read above cascade too; their blobs stay (unreferenced) until the next start.
      const blobIds = images.map((i) => i.blobId);
      await deleteCollectionRow(tx, id);
      const unused = await deleteUnusedBlobs(tx, blobIds);
      await recordAudit(tx, caller, { action: 'collection.delete', collectionId: id, details: { images: blobIds.length } });
      return unused;
    });
    for (const sha of orphans) await rt.blobs.remove(sha);
  });
  await rt.indexes.drop(id);
  dropTrials(id);
}

async function withCounts(row: CollectionRow): Promise<CollectionDto> {
  const { db } = runtime();
  const [identityCount, imageCount, size] = await Promise.all([countIdentities(db, row.id), countImages(db, row.id), gallerySize(db, row)]);
  return toDto(row, identityCount, imageCount, size);
}

function toDto(row: CollectionRow, identityCount: number, imageCount: number, size: GallerySize): CollectionDto {
  const model = runtime().served.get(row.modelVersion) ?? null;
  const pinned = row.thresholdOverride !== null && row.thresholdModel === row.modelVersion;
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as 'face' | 'object',
    domain: row.domain as CollectionDomain | null,
    modelVersion: row.modelVersion,
    previousModelVersion: row.previousModelVersion,
    targetFar: row.targetFar,
    thresholdOverride: pinned ? row.thresholdOverride : null,
    // Listing reads the last trials; searches and enrolments start their recomputation.
    threshold: collectionThreshold(row, model, size, peekTrials(row)),
    settings: row.settings,
    identityCount,
    imageCount,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Rebuilds a collection's index from the database (admin only); returns its size and sequence. */
export async function rebuildIndex(caller: Principal, id: string): Promise<{ size: number; lastSequence: number }> {
  requireAdmin(caller, 'rebuilding an index');
  const rt = runtime();
  const c = await loadCollection(rt.db, caller, id);
  const index = await rt.indexes.rebuildNow(indexKey(c, await modelFor(rt, c)));
  await recordAudit(rt.db, caller, { action: 'index.rebuild', collectionId: id, modelVersion: c.modelVersion, details: { size: index.size, lastSequence: index.lastSequence } });
  return { size: index.size, lastSequence: index.lastSequence };
}
