// Starts the real service runtime (migrated test database, TF.js, the embedding worker, blob
// and index stores) in a temporary DATA_DIR. lib/config/env parses process.env on first import,
// so everything that reads it is imported dynamically after the variables are set.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, suiteProvider } from '../helpers/db';
import { OMNIGLOT_ZIP } from '../helpers/data';
import type { DbTarget } from '@/lib/db/client';

/** The service modules a test calls. */
export type Service = typeof import('@/lib/matching/index');

/** A started service and how to stop it. */
export interface Harness {
  svc: Service;
  dataDir: string;
  modelsDir: string;
  target: DbTarget;
  stop: () => Promise<void>;
}

const REPO = path.resolve(import.meta.dirname, '../..');
/** Omniglot background zip (read-only shared data). */
export { OMNIGLOT_ZIP };

/**
 * The models folder with a trained default object model: TEST_MODELS_DIR when set, else the
 * committed models/ when its defaults.json names one; null when there is none.
 */
export function committedModelsDir(): string | null {
  const dir = process.env.TEST_MODELS_DIR ? path.resolve(process.env.TEST_MODELS_DIR) : path.join(REPO, 'models');
  const file = path.join(dir, 'defaults.json');
  if (!existsSync(file)) return null;
  const defaults = JSON.parse(readFileSync(file, 'utf8')) as { object: string | null };
  return defaults.object ? dir : null;
}

/**
 * Copies the committed default model of `kind` to `dataDir/models/<kind>/<version>` under a new
 * version name (same weights): a trained-model folder that serveModel finds on demand, for tests of
 * switching that are about safety, not accuracy. Returns the default version it copied.
 */
export function installCandidate(modelsDir: string, dataDir: string, kind: 'object' | 'face', version: string): string {
  const from = (JSON.parse(readFileSync(path.join(modelsDir, 'defaults.json'), 'utf8')) as Record<string, string>)[kind];
  const dir = path.join(dataDir, 'models', kind, version);
  cpSync(path.join(modelsDir, kind, from), dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { version: string };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, version }, null, 2));
  return from;
}

/** A database, data directory and models folder, before any runtime runs on them. */
export interface Prepared {
  dataDir: string;
  modelsDir: string;
  target: DbTarget;
  /** Environment a runtime (this process or a child) needs to run on them. */
  env: Record<string, string>;
  /** Drops the database and removes the folders. */
  cleanup: () => Promise<void>;
}

/** A fresh database of the suite's provider, an empty DATA_DIR, and the committed or fixture models. */
export async function prepare(): Promise<Prepared> {
  const committed = committedModelsDir();
  let modelsDir = committed;
  if (!modelsDir) {
    const { buildFixtureModels } = await import('./fixture-model');
    modelsDir = await buildFixtureModels(OMNIGLOT_ZIP);
  }
  const db = await createTestDatabase(suiteProvider());
  const dataDir = mkdtempSync(path.join(tmpdir(), 'fewshot-svc-'));
  return {
    dataDir,
    modelsDir,
    target: db.target,
    env: {
      DATA_DIR: dataDir,
      DATABASE_URL: db.target.provider === 'sqlite' ? `file:${db.target.url}` : db.target.url,
      MODELS_DIR: modelsDir,
      ML_BACKEND: 'wasm',
    },
    cleanup: async () => {
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
      if (!committed) rmSync(modelsDir!, { recursive: true, force: true });
    },
  };
}

/** Starts this process's runtime on prepared state. */
export async function startHarnessOn(p: Prepared): Promise<Harness> {
  Object.assign(process.env, p.env);
  const svc = await import('@/lib/matching/index');
  await svc.startRuntime();
  return {
    svc,
    dataDir: p.dataDir,
    modelsDir: p.modelsDir,
    target: p.target,
    stop: async () => {
      await svc.stopRuntime();
      await p.cleanup();
    },
  };
}

/** Starts the runtime on a fresh database with the committed models, or the untrained fixture model. */
export async function startDefaultHarness(): Promise<Harness> {
  return startHarnessOn(await prepare());
}

/** Row counts of every table the service writes, plus blob and index state, for one collection. */
export async function snapshotState(h: Harness, collectionId: string) {
  const { db, indexes, blobs } = h.svc.getRuntime();
  const c = await db.collection.findUniqueOrThrow({ where: { id: collectionId } });
  return {
    blobs: await db.blob.count(),
    images: await db.image.count(),
    embeddings: await db.embedding.count(),
    changes: await db.change.count(),
    head: c.headSequence,
    index: indexes.stats({ collectionId, modelVersion: c.modelVersion })?.size ?? 0,
    /** Hashes in the blob store (DATA_DIR/blobs or the database, by the suite's default). */
    storedBlobs: await blobs.list(),
  };
}
