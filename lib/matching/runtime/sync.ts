/** Applies committed changes to the in-memory index of a collection's current model. */
import { findCollectionModel } from '@/lib/db/collections';
import type { CommittedChange } from './index-store';
import type { Runtime } from './runtime';

/**
 * Applies `changes` (just committed, in sequence order) to the index of the collection's model.
 * When the model is not loaded there is no index to update; it catches up when it loads.
 */
export async function applyToIndex(rt: Runtime, collectionId: string, changes: CommittedChange[]): Promise<void> {
  if (changes.length === 0) return;
  const c = await findCollectionModel(rt.db, collectionId);
  const model = c ? rt.served.get(c.modelVersion) : undefined;
  if (!c || !model) return;
  await rt.indexes.apply({ collectionId, modelVersion: c.modelVersion, dim: model.manifest.embeddingDim }, changes);
}
