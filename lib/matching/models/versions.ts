/**
 * Model versions (issue 8): the models page and API (every version with its manifest, the
 * collections using it, who promoted it and when), and the versions a collection keeps embeddings
 * and an index for after a switch, until an admin deletes them.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { findModelAuditEntries } from '@/lib/db/audit';
import { findCollectionsOfModel } from '@/lib/db/collections';
import { countEmbeddingsByVersion, deleteEmbeddingsOfVersion } from '@/lib/db/embeddings';
import { modelDomain, readManifest, type ModelManifest } from '@/lib/embedder/manifest';
import { ConflictError, NotFoundError } from '@/lib/errors';
import { refuseWhileJobRuns } from '@/lib/jobs';
import { recordAudit } from '@/lib/matching/audit';
import type { Principal } from '@/lib/auth';
import { requireAdmin } from '@/lib/matching/caller';
import { loadCollection, runtime } from '@/lib/matching/context';
import { modelDir, readDefaults, type ModelKind } from '@/lib/matching/runtime/model-registry';
import { ensureModelDir, materialiseStoredModels } from '@/lib/matching/runtime/model-store';
import type { CollectionModelVersion, ModelSummary } from '@/lib/matching/contract/models';

/** A model version with its whole manifest (the API shows the manifest as a JSON object). */
export type ModelDetail = ModelSummary & { manifest: ModelManifest };

/** A model folder found under one of the roots. */
interface FoundModel {
  kind: ModelKind;
  version: string;
  origin: 'bundled' | 'trained';
  dir: string;
}

async function listVersionDirs(): Promise<FoundModel[]> {
  const rt = runtime();
  const { modelRoots } = rt;
  // Versions trained on other instances are listed too: written here from the shared store first.
  await materialiseStoredModels(rt);
  const out: FoundModel[] = [];
  for (const [origin, root] of [['bundled', modelRoots.bundled], ['trained', modelRoots.trained]] as const) {
    for (const kind of ['object', 'face'] as const) {
      const names = await readdir(path.join(root, kind)).catch(() => [] as string[]);
      for (const version of names.sort()) {
        const dir = modelDir(root, kind, version);
        if (!version.includes('.tmp-') && existsSync(path.join(dir, 'manifest.json'))) out.push({ kind, version, origin, dir });
      }
    }
  }
  return out;
}

async function summarize({ kind, version, origin }: FoundModel, manifest: ModelManifest, defaults: ReturnType<typeof readDefaults>): Promise<ModelSummary> {
  const rt = runtime();
  const [collections, audit] = await Promise.all([
    findCollectionsOfModel(rt.db, version),
    findModelAuditEntries(rt.db, version, ['model.promote', 'model.rollback'], 50),
  ]);
  return {
    version, kind, domain: kind === 'object' ? modelDomain(manifest) : null, origin, isDefault: defaults[kind] === version || (kind === 'object' && defaults.photo === version), createdAt: manifest.createdAt, embeddingDim: manifest.embeddingDim,
    dataSource: manifest.data.source, metrics: manifest.metrics, backend: manifest.backend, collections,
    promotions: audit.map((a) => ({
      at: a.createdAt.toISOString(), actor: a.actor, action: a.action, collectionId: a.collectionId,
      from: typeof a.details?.from === 'string' ? a.details.from : null, threshold: a.threshold,
    })),
  };
}

/** Every model version, newest first (admin). */
export async function listModels(caller: Principal): Promise<{ items: ModelSummary[] }> {
  requireAdmin(caller, 'listing models');
  const defaults = readDefaults(runtime().modelRoots.bundled);
  const items: ModelSummary[] = [];
  for (const found of await listVersionDirs()) items.push(await summarize(found, await readManifest(found.dir), defaults));
  items.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return { items };
}

async function locate(version: string): Promise<FoundModel> {
  const rt = runtime();
  const { modelRoots } = rt;
  for (const kind of ['object', 'face'] as const) {
    const dir = await ensureModelDir(rt, kind, version);
    if (dir) return { kind, version, dir, origin: dir.startsWith(modelRoots.bundled + path.sep) ? 'bundled' : 'trained' };
  }
  throw new NotFoundError('model_not_found', `no model version ${version}`);
}

/** One model version with its manifest (admin). */
export async function getModel(caller: Principal, version: string): Promise<ModelDetail> {
  requireAdmin(caller, 'reading models');
  const found = await locate(version);
  const manifest = await readManifest(found.dir);
  return { ...(await summarize(found, manifest, readDefaults(runtime().modelRoots.bundled))), manifest };
}

/** A plot PNG of a model version (one its manifest lists). */
export async function getModelPlot(caller: Principal, version: string, name: string): Promise<Uint8Array> {
  requireAdmin(caller, 'reading models');
  const { dir } = await locate(version);
  const manifest = await readManifest(dir);
  if (!manifest.plots.includes(name)) throw new NotFoundError('plot_not_found', `model ${version} has no plot ${name}; it has ${manifest.plots.join(', ')}`);
  return new Uint8Array(await readFile(path.join(dir, name)));
}

/** The model versions a collection holds embeddings for (admin). */
export async function listCollectionModels(caller: Principal, collectionId: string): Promise<{ items: CollectionModelVersion[] }> {
  requireAdmin(caller, 'listing model versions');
  const rt = runtime();
  const c = await loadCollection(rt.db, caller, collectionId);
  const versions = await countEmbeddingsByVersion(rt.db, collectionId);
  for (const v of [c.modelVersion, c.previousModelVersion]) if (v && !versions.has(v)) versions.set(v, 0);
  return {
    items: [...versions.entries()].map(([version, embeddedImages]) => ({
      version, current: version === c.modelVersion, previous: version === c.previousModelVersion, embeddedImages,
      indexOnDisk: existsSync(rt.indexes.pathOf({ collectionId, modelVersion: version })),
    })),
  };
}

/** Deletes a kept version's embeddings and index of a collection (admin; never the current one). */
export async function deleteCollectionModel(caller: Principal, collectionId: string, version: string): Promise<void> {
  requireAdmin(caller, 'deleting a model version');
  const rt = runtime();
  const c = await loadCollection(rt.db, caller, collectionId);
  if (c.modelVersion === version) throw new ConflictError('model_in_use', `model ${version} serves collection ${c.name}; promote another version first`);
  await refuseWhileJobRuns(rt.db, collectionId);
  const file = rt.indexes.pathOf({ collectionId, modelVersion: version });
  const held = await rt.indexes.embeddedCount({ collectionId, modelVersion: version });
  if (held === 0 && !existsSync(file) && c.previousModelVersion !== version) throw new NotFoundError('model_not_found', `collection ${c.name} keeps nothing of model ${version}`);
  await rt.db.$transaction(async (tx) => {
    const embeddings = await deleteEmbeddingsOfVersion(tx, collectionId, version);
    await recordAudit(tx, caller, { action: 'model.delete_version', collectionId, modelVersion: version, details: { embeddings } });
  });
  await rt.indexes.dropVersion({ collectionId, modelVersion: version });
}
