/** Loads a model version into the embedding worker on demand (trained versions, rollbacks, promotes made by another instance). */
import { InputError, NotFoundError } from '@/lib/errors';
import { readServedModel, type ModelKind, type LoadedModelsByVersion, type ServedModel } from './model-registry';
import { ensureModelDir } from './model-store';
import type { Runtime } from './runtime';

/** What serving a model reads of the runtime. */
type ServeParts = Pick<Runtime, 'served' | 'modelRoots' | 'embedder' | 'db' | 'blobs'>;

/**
 * Loads in progress, per served map (one per runtime): after a promote on another instance every
 * request here wants the new version at once, and the worker would load (and hold) it once per request.
 */
const loading = new WeakMap<LoadedModelsByVersion, Map<string, Promise<ServedModel>>>();

/** The served model of `version`, loading it into the worker first when needed (once, however many ask meanwhile). */
export async function serveModel(rt: ServeParts, kind: ModelKind, version: string): Promise<ServedModel> {
  const have = rt.served.get(version);
  if (have) return have;
  let pending = loading.get(rt.served);
  if (!pending) loading.set(rt.served, (pending = new Map()));
  const inFlight = pending.get(version);
  if (inFlight) return inFlight;
  const load = loadModel(rt, kind, version).finally(() => pending.delete(version));
  pending.set(version, load);
  return load;
}

async function loadModel(rt: ServeParts, kind: ModelKind, version: string): Promise<ServedModel> {
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
