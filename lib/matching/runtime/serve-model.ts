/** Loads a model version into the embedding worker on demand (trained versions, rollbacks). */
import { modelDomain } from '@/lib/embedder/manifest';
import { InputError, NotFoundError } from '@/lib/errors';
import { findModelDir, readServedModel, type ModelKind, type ServedModel } from './model-registry';
import type { Runtime } from './runtime';

/** The served model of `version`, loading it into the worker first when needed. */
export async function serveModel(rt: Pick<Runtime, 'served' | 'modelRoots' | 'embedder'>, kind: ModelKind, version: string): Promise<ServedModel> {
  const have = rt.served.get(version);
  if (have) return have;
  const dir = findModelDir(rt.modelRoots, kind, version);
  // The detail names no server path (issue 16): the caller learns what exists from GET /api/models.
  if (!dir) throw new NotFoundError('model_not_found', `no ${kind} model version ${version}, bundled or trained here; GET /api/models lists them`);
  const model = await readServedModel(kind, dir);
  if (model.manifest.kind !== kind) throw new InputError('model_kind_mismatch', `model ${version} is a ${model.manifest.kind} model; the collection needs a ${kind} model`);
  // Photo models take backbone features, which the embedding worker does not compute yet (issue 19):
  // refuse them here rather than fail on every upload.
  if (modelDomain(model.manifest) === 'photo') {
    throw new InputError('model_domain_mismatch', `model ${version} is a photo model (domain photo, input: ${model.manifest.backbone?.id} features); object collections are served drawing models until photo collections land (issue 19); pick a drawing model from GET /api/models`);
  }
  await rt.embedder.load({ kind, version, dir });
  rt.served.set(version, model);
  return model;
}
