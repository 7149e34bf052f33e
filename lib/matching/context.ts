/** Helpers the use cases share: scoped loads, the collection's model and threshold, sequences. */
import { isDbError, type DbOrTx, type Tx } from '@/lib/db/client';
import { findCollection, incrementHeadSequence, type CollectionRow } from '@/lib/db/collections';
import { ConflictError, InputError, NotFoundError, NotReadyError } from '@/lib/errors';
import { modelDomain, type ModelManifest } from '@/lib/embedder/manifest';
import { modelThreshold, withGalleryThreshold, type Aggregate } from '@/lib/calibration';
import { countEmbeddings } from '@/lib/db/embeddings';
import { countLiveIdentities } from '@/lib/db/identities';
import type { Principal } from '@/lib/auth';
import { requireScope } from './caller';
import type { GalleryTrials } from './gallery-calibration';
import type { IndexKey } from './runtime/index-store';
import { defaultSlot, modelDomainOf, type ModelKind, type ServedModel } from './runtime/model-registry';
import { serveModel } from './runtime/serve-model';
import { getRuntime } from './process-state';
import type { Runtime } from './runtime/runtime';
import type { CollectionDomain, CollectionThreshold } from './contract/collections';

export type { CollectionRow } from '@/lib/db/collections';

/** The runtime (503 while starting). */
export function runtime(): Runtime {
  return getRuntime();
}

/** Loads a collection the caller may see, or throws `collection_not_found` / `forbidden`. */
export async function loadCollection(db: DbOrTx, caller: Principal, id: string): Promise<CollectionRow> {
  const row = await findCollection(db, id);
  if (!row) throw new NotFoundError('collection_not_found', `no collection with id ${id}`);
  requireScope(caller, row.id);
  return row;
}

/**
 * The model serving a collection, loaded on first use: another instance may have promoted the
 * collection to a version this one has not loaded yet (issue 21). `model_not_loaded` (503) when its
 * folder is nowhere here.
 */
export async function modelFor(rt: Runtime, c: Pick<CollectionRow, 'kind' | 'domain' | 'modelVersion'>): Promise<ServedModel> {
  const model = await serveModel(rt, c.kind as ModelKind, c.modelVersion).catch((err: unknown) => {
    if (err instanceof NotFoundError) return null;
    throw err;
  });
  if (!model) {
    const fallback = rt.models.get(defaultSlot(c.kind as ModelKind, c.domain as CollectionDomain | null));
    throw new NotReadyError(
      c.kind === 'face' && !fallback ? 'model_not_trained' : 'model_not_loaded',
      `collection model ${c.modelVersion} is not loaded (default ${c.kind} model: ${fallback?.manifest.version ?? 'none'}); ` +
        'restore that model under MODELS_DIR or DATA_DIR/models, or promote another version',
    );
  }
  return model;
}

/**
 * Throws `model_domain_mismatch` when `manifest` is an object model of another image domain than
 * the object collection `c` (a photo model for drawings, or the reverse): its embeddings of the
 * collection's images would mean nothing (issue 19).
 */
export function requireModelDomain(c: Pick<CollectionRow, 'name' | 'kind' | 'domain'>, manifest: ModelManifest): void {
  if (c.kind !== 'object' || c.domain === null) return;
  const want = modelDomainOf(c.domain as CollectionDomain);
  const got = modelDomain(manifest);
  if (got !== want) {
    throw new InputError('model_domain_mismatch', `collection ${c.name} holds ${c.domain}; model ${manifest.version} is a ${got} model, it needs a ${want} model (GET /api/models lists them)`);
  }
}

/**
 * How the collection's model scores an identity: as its open-set table was measured (by centroid
 * since issue 18; lib/calibration/centroid.ts), by its nearest image when the model ships none
 * (a retrained drawing or face model), whose threshold then counts every image.
 */
export function scoringOf(model: ServedModel): Aggregate {
  return model.openSetTable?.aggregate ?? 'nearest';
}

/** The index of a collection under its model. */
export function indexKey(c: Pick<CollectionRow, 'id' | 'modelVersion'>, model: ServedModel): IndexKey {
  return { collectionId: c.id, modelVersion: c.modelVersion, dim: model.manifest.embeddingDim };
}

/** What a stranger is compared with: live identities, and the images enrolled under the collection's model. */
export interface GallerySize {
  identities: number;
  images: number;
}

/** The gallery size of a collection under its current model. */
export async function gallerySize(db: DbOrTx, c: Pick<CollectionRow, 'id' | 'modelVersion'>): Promise<GallerySize> {
  const [identities, images] = await Promise.all([countLiveIdentities(db, c.id), countEmbeddings(db, c.id, c.modelVersion)]);
  return { identities, images };
}

/** Gallery sizes by collection and model version, with the head sequence they were counted at. */
const sizeAtHead = new Map<string, { headSequence: number; size: GallerySize }>();

/**
 * `gallerySize` counted once per gallery state (issue 20: fewer database round trips per search).
 * Every enrolment or removal of an image advances the collection's head sequence in the same
 * transaction (the change log), so counts taken at a head hold until the head moves. Only for
 * committed rows read outside a transaction.
 */
export async function cachedGallerySize(db: DbOrTx, c: Pick<CollectionRow, 'id' | 'modelVersion' | 'headSequence'>): Promise<GallerySize> {
  const key = `${c.id} ${c.modelVersion}`;
  const hit = sizeAtHead.get(key);
  if (hit?.headSequence === c.headSequence) return hit.size;
  const size = await gallerySize(db, c);
  sizeAtHead.set(key, { headSequence: c.headSequence, size });
  return size;
}

/**
 * The decision threshold: an admin override when pinned to the collection's current model version,
 * else `openSetThreshold(curve, targetFar, C)` from the model's calibration curve, where C counts
 * what a stranger is compared with: a stranger is accepted when ANY enrolled image is within the
 * threshold, so the distance's pairwise FAR p must satisfy 1-(1-p)^C = targetFar (issue 18: with C =
 * N identities, K shots each let strangers through about K times too often; measured on ORL at K =
 * 3 and 5, `npm run evaluate -- openset`). C is the gallery's images at their measured worth when
 * the model ships an open-set table (N · m(K), 1 <= m <= K: the images of one identity are not K
 * independent chances; lib/calibration/open-set-table.ts), else every image, and no looser than the
 * table's identity bound at the same pairwise FAR (issue 19: the threshold whose FAR stays within
 * 1.5 × its target for 9 in 10 draws of calibration identities; lib/calibration/identity-bound.ts). With `gallery` trials
 * in force (enough identities and impostor trials for the target, see gallery-calibration.ts), the
 * gallery's own threshold at the target FAR is taken when it is the stricter of the two and the
 * gallery's trials show the model's too loose (over the target with their whole 95% interval): its
 * leave-one-identity-out trials under-predicted strangers on held-out Omniglot (2.0-2.7x the target
 * at 1e-2 wherever it was in force), so it may tighten the model's threshold but never loosen it,
 * and only on evidence, not on the noise of a few hundred trials.
 * The rule is `modelThreshold` and `withGalleryThreshold` (lib/calibration), the same that
 * `evaluate openset`'s `model-curve-bound` measures.
 */
export function collectionThreshold(
  c: Pick<CollectionRow, 'modelVersion' | 'targetFar' | 'thresholdOverride' | 'thresholdModel'>,
  model: ServedModel | null,
  size: GallerySize,
  gallery: GalleryTrials | null = null,
): CollectionThreshold {
  if (c.thresholdOverride !== null && c.thresholdModel === c.modelVersion) {
    return { distance: c.thresholdOverride, source: 'override', ...size, comparisons: null, trials: 0, predictedFar: { value: null, lo: null, hi: null } };
  }
  const trials = gallery?.modelVersion === c.modelVersion ? gallery : null;
  const served = model?.manifest.version === c.modelVersion ? model : null;
  const calibration = served?.manifest.calibration ?? null;
  const base = modelThreshold(calibration?.curve ?? null, served?.openSetTable ?? null, c.targetFar, Math.max(1, size.identities), Math.max(1, size.images), { bound: true });
  const { threshold, galleryFar } = withGalleryThreshold(base.threshold, c.targetFar, trials, 'tighten');
  const comparisons = base.comparisons;
  if (galleryFar) return { distance: threshold, source: 'gallery', ...size, comparisons, trials: trials!.impostor.length, predictedFar: { value: galleryFar.value, lo: galleryFar.lo, hi: galleryFar.hi } };
  return { distance: threshold, source: 'model', ...size, comparisons, trials: calibration?.impostorPairs ?? 0, predictedFar: { value: c.targetFar, lo: null, hi: null } };
}

/**
 * Allocates `n` change sequences of a collection; the first statement of a writing transaction.
 * The increment takes the collection row's write lock (PostgreSQL row lock, SQLite's write lock)
 * until commit, so sequences commit in order and a reader never sees a gap fill in later.
 * Returns the first allocated sequence.
 */
export async function allocateSequences(tx: Tx, collectionId: string, n: number): Promise<number> {
  return (await incrementHeadSequence(tx, collectionId, n)) - n + 1;
}

/** Maps a unique violation to `conflict`; rethrows anything else. */
export function conflictOnDuplicate(err: unknown, message: string): never {
  if (isDbError(err, 'unique')) throw new ConflictError('conflict', message);
  throw err;
}
