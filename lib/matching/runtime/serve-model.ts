/** Loads a model version into the embedding worker on demand (trained versions, rollbacks). */
import { InputError, NotFoundError } from '@/lib/errors';
import { readServedModel, type ModelKind, type ServedModel } from './model-registry';
import { ensureModelDir } from './model-store';
import type { Runtime } from './runtime';

/** The served model of `version`, loading it into the worker first when needed. */
export async function serveModel(rt: Pick<Runtime, 'served' | 'modelRoots' | 'embedder' | 'db' | 'blobs'>, kind: ModelKind, version: string): Promise<ServedModel> {
  const have = rt.served.get(version);
  if (have) return have;
  // A version trained on another instance is written here from the shared store first.
  const dir = await ensureModelDir(rt, kind, version);
  // The detail names no server path (issue 16): the caller learns what exists from GET /api/models.
  if (!dir) throw new NotFoundError('model_not_found', `no ${kind} model version ${version}, bundled, trained here or in the shared store; GET /api/models lists them`);
  const model = await readServedModel(kind, dir);
  if (model.manifest.kind !== kind) throw new InputError('model_kind_mismatch', `model ${version} is a ${model.manifest.kind} model; the collection needs a ${kind} model`);
  await rt.embedder.load({ kind, version, dir });
  rt.served.set(version, model);
  return model;
}
