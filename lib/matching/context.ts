/** Helpers the use cases share: scoped loads, the collection's model and threshold, sequences. */
import { isDbError, type DbOrTx, type Tx } from '@/lib/db/client';
import { findCollection, incrementHeadSequence, type CollectionRow } from '@/lib/db/collections';
import { ConflictError, NotFoundError, NotReadyError } from '@/lib/errors';
import { galleryInForce, openSetThreshold, targetPoint } from '@/lib/calibration';
import type { Principal } from '@/lib/auth';
import { requireScope } from './caller';
import type { GalleryTrials } from './gallery-calibration';
import type { IndexKey } from './runtime/index-store';
import type { ServedModel } from './runtime/model-registry';
import { getRuntime } from './process-state';
import type { Runtime } from './runtime/runtime';
import type { CollectionThreshold } from './contract/collections';

export type { CollectionRow } from '@/lib/db/collections';
export { countLiveIdentities } from '@/lib/db/identities';

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

/** The loaded model serving a collection, or `model_not_loaded` (503). */
export function modelFor(rt: Runtime, c: Pick<CollectionRow, 'kind' | 'modelVersion'>): ServedModel {
  const model = rt.served.get(c.modelVersion);
  if (!model) {
    const fallback = rt.models.get(c.kind as 'face' | 'object');
    throw new NotReadyError(
      c.kind === 'face' && !fallback ? 'model_not_trained' : 'model_not_loaded',
      `collection model ${c.modelVersion} is not loaded (default ${c.kind} model: ${fallback?.manifest.version ?? 'none'}); ` +
        'restore that model under MODELS_DIR or DATA_DIR/models, or promote another version',
    );
  }
  return model;
}

/** The index of a collection under its model. */
export function indexKey(c: Pick<CollectionRow, 'id' | 'modelVersion'>, model: ServedModel): IndexKey {
  return { collectionId: c.id, modelVersion: c.modelVersion, dim: model.manifest.embeddingDim };
}

/**
 * The decision threshold: an admin override when pinned to the collection's current model version,
 * else `openSetThreshold(curve, targetFar, N)` from the model's calibration curve with N = live
 * identities (at least 1): the distance whose pairwise FAR p satisfies 1-(1-p)^N = targetFar (issue 4).
 * With `gallery` trials that are in force (enough identities and impostor trials for the target, see
 * gallery-calibration.ts), the gallery's own threshold at the target FAR replaces the model curve.
 */
export function collectionThreshold(
  c: Pick<CollectionRow, 'modelVersion' | 'targetFar' | 'thresholdOverride' | 'thresholdModel'>,
  model: ServedModel | null,
  identities: number,
  gallery: GalleryTrials | null = null,
): CollectionThreshold {
  if (c.thresholdOverride !== null && c.thresholdModel === c.modelVersion) {
    return { distance: c.thresholdOverride, source: 'override', identities };
  }
  if (galleryInForce(gallery, c.targetFar) && gallery.modelVersion === c.modelVersion) {
    return { distance: targetPoint(gallery, c.targetFar).threshold, source: 'gallery', identities };
  }
  if (!model || model.manifest.version !== c.modelVersion) return { distance: null, source: 'model', identities };
  const distance = openSetThreshold(model.manifest.calibration.curve, c.targetFar, Math.max(1, identities));
  return { distance, source: 'model', identities };
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
