/**
 * Trained model folders in the shared blob store (issue 21): the instance that trains a candidate
 * stores each file of its folder as a blob and records the version's files (ModelFile rows, one
 * transaction); an instance that lacks the folder materialises it under its DATA_DIR/models from
 * the store before loading it. Committed default models stay in models/ and are never stored.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '@/lib/db/client';
import { findModelFiles, findStoredModelVersions, insertModelFiles } from '@/lib/db/model-files';
import { StoredValueError } from '@/lib/errors';
import { sha256Hex, type BlobStore } from './blob-store';
import { findModelDir, modelDir, type ModelKind, type ModelRoots } from './model-registry';

/** What the model store needs of a runtime. */
export interface ModelStoreDeps {
  db: Db;
  blobs: BlobStore;
  modelRoots: ModelRoots;
}

/** Relative, '/'-separated paths of every file under `dir`. */
async function listFolder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** Stores every file of a model version's folder in the blob store, then records them. */
export async function publishModelFolder(deps: Omit<ModelStoreDeps, 'modelRoots'>, kind: ModelKind, version: string, dir: string): Promise<void> {
  const files = await Promise.all((await listFolder(dir)).map(async (name) => ({ name, bytes: await readFile(path.join(dir, ...name.split('/'))) })));
  const rows = files.map((f) => ({ modelVersion: version, kind, name: f.name, sha256: sha256Hex(f.bytes), sizeBytes: f.bytes.byteLength }));
  // Held from write to commit, as an enrolment holds its images, so an orphan sweep leaves them.
  await deps.blobs.withLock(rows.map((r) => r.sha256), async () => {
    for (const f of files) await deps.blobs.write(f.bytes);
    await insertModelFiles(deps.db, rows);
  });
}

/**
 * The folder of a model version: found here (bundled, or trained or materialised before), else
 * written under the trained root from the blob store, each file's SHA-256 checked. Null when
 * neither has a version of that kind.
 */
export async function ensureModelDir(deps: ModelStoreDeps, kind: ModelKind, version: string): Promise<string | null> {
  const found = findModelDir(deps.modelRoots, kind, version);
  if (found) return found;
  const files = await findModelFiles(deps.db, version);
  if (files.length === 0 || files.some((f) => f.kind !== kind)) return null;
  const dir = modelDir(deps.modelRoots.trained, kind, version);
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    for (const f of files) {
      if (f.name.split('/').some((part) => part === '..' || part === '' || part === '.')) {
        throw new StoredValueError('model_file_invalid', `model ${version} lists file "${f.name}", which is not a plain relative path`);
      }
      const bytes = await deps.blobs.read(f.sha256);
      if (sha256Hex(bytes) !== f.sha256) throw new StoredValueError('blob_checksum_mismatch', `model ${version} file ${f.name}: stored bytes do not hash to ${f.sha256}`);
      const target = path.join(tmp, ...f.name.split('/'));
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, bytes);
    }
    // Another request may have materialised it meanwhile: then its folder stays and ours goes.
    await rename(tmp, dir).catch(() => undefined);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return findModelDir(deps.modelRoots, kind, version);
}

/** Materialises every stored model version this instance lacks (before listing versions). */
export async function materialiseStoredModels(deps: ModelStoreDeps): Promise<void> {
  for (const v of await findStoredModelVersions(deps.db)) await ensureModelDir(deps, v.kind as ModelKind, v.modelVersion);
}
