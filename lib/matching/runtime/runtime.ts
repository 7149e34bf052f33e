/**
 * The service runtime: database (migrated), TF.js backend and default models, with the stores
 * built on them. Built and closed here; the process keeps its one runtime in the process state
 * (lib/matching/process-state.ts).
 */
import type { z } from 'zod';
import { env } from '@/lib/config/env';
import { findReferencedShas } from '@/lib/db/blobs';
import { openDb, resolveDbTarget, type Db, type DbTarget } from '@/lib/db/client';
import { findModelVersionsInUse } from '@/lib/db/collections';
import { migrate, type MigrationState } from '@/lib/db/migrate';
import type { BackendName } from '@/lib/embedder/backend';
import { pruneAudit } from './audit-retention';
import { AuditWriter } from './audit-writer';
import type { BlobStore } from './blob-store';
import { startEmbeddingPool } from './embedding-pool';
import type { EmbeddingWorker } from './embedding-worker';
import { createFacePreparer } from './face-preparer';
import type { FacePreparer } from './embed-input';
import { IndexStore } from './index-store';
import { startInstance, type Instance } from './instance';
import { blobStoreKind, openBlobStore } from './open-blob-store';
import { loadDefaultModels, modelRoots, type DefaultModels, type ModelKind, type ModelRoots, type LoadedModelsByVersion } from './model-registry';
import { serveModel } from './serve-model';
import type { healthSchema } from '@/lib/matching/contract/health';

/** A started runtime. */
export interface Runtime {
  db: Db;
  dbTarget: DbTarget;
  migrations: MigrationState;
  backend: BackendName;
  /** The default model of each kind and object domain (also in `served`). */
  models: DefaultModels;
  /** Every model loaded in the worker, by version (defaults and the versions collections use). */
  served: LoadedModelsByVersion;
  /** Where model folders are found. */
  modelRoots: ModelRoots;
  /** The embedding workers, one per core by default (TF.js off the request thread). */
  embedder: EmbeddingWorker;
  /** Face detection and alignment for face collections; null without a face model. */
  facePreparer: FacePreparer | null;
  /** Original image bytes and trained model files (BLOB_STORE: DATA_DIR/blobs or database rows). */
  blobs: BlobStore;
  /** HNSW indexes under DATA_DIR/indexes, kept in step with the change log. */
  indexes: IndexStore;
  /** This process's row in the Instance table, its heartbeat and the owner of the jobs it starts. */
  instance: Instance;
  /** Group commit of the decisions' audit rows (search, verify). */
  audit: AuditWriter;
}

/** Health snapshot of the runtime, cheap to take at any moment (`GET /api/health`). */
export type RuntimeStatus = z.infer<typeof healthSchema>;

/** Migrates and opens the database, starts the embedding worker with the models, opens the stores. */
export async function bootRuntime(): Promise<Runtime> {
  const dbTarget = resolveDbTarget(env.DATABASE_URL, env.dataDir);
  const migrations = await migrate(process.cwd(), dbTarget);
  const db = openDb(dbTarget);
  const models = await loadDefaultModels(env.modelsDir);
  // TF.js runs only in the embedding workers; the request thread never loads it.
  const embedder = await startEmbeddingPool({
    workers: env.embedWorkers,
    batchWindowMs: env.EMBED_BATCH_WINDOW_MS,
    maxBatchInputs: env.EMBED_BATCH_MAX_INPUTS,
    backend: env.ML_BACKEND,
    inference: env.ML_INFERENCE,
    models: [...models.values()].map((m) => ({ kind: m.manifest.kind, version: m.manifest.version, dir: m.dir })),
  });
  // Face collections: detection and alignment in the worker, then the face model's embedding.
  const facePreparer = models.has('face') ? createFacePreparer(embedder) : null;
  const served: LoadedModelsByVersion = new Map([...models.values()].map((m) => [m.manifest.version, m]));
  const roots = modelRoots(env.modelsDir, env.dataDir);
  const blobs = openBlobStore(blobStoreKind(env.BLOB_STORE, dbTarget), db, dbTarget, env.dataDir);
  // Bytes written before a transaction that never committed (crash) or left by an interrupted delete.
  const removed = await blobs.removeOrphans((shas) => findReferencedShas(db, shas));
  if (removed.length > 0) console.info(`[runtime] removed ${removed.length} orphan blob(s) from the ${blobs.kind} store`);
  // Trained versions collections use (or fall back to after a rollback) load now, so searches never wait.
  const used = await findModelVersionsInUse(db);
  for (const u of used) {
    if (served.has(u.modelVersion)) continue;
    await serveModel({ served, modelRoots: roots, embedder, db, blobs }, u.kind as ModelKind, u.modelVersion).catch((err: Error) =>
      console.error(`[runtime] model ${u.modelVersion} of a collection cannot load: ${err.message}`),
    );
  }
  const indexes = new IndexStore(db, env.dataDir);
  await indexes.open((version) => served.get(version)?.manifest.embeddingDim ?? null);
  await pruneAudit(db);
  const instance = await startInstance(db, { heartbeatMs: env.INSTANCE_HEARTBEAT_MS, leaseMs: env.JOB_LEASE_MS });
  return { db, dbTarget, migrations, backend: embedder.backend, models, served, modelRoots: roots, embedder, facePreparer, blobs, indexes, instance, audit: new AuditWriter(db) };
}

/** Ends this instance (its jobs read `interrupted`), flushes the indexes and the audit rows, stops the embedding workers and closes the database. */
export async function closeRuntime(rt: Runtime): Promise<void> {
  await rt.instance.stop();
  await rt.indexes.close();
  await rt.audit.drain();
  await rt.embedder.close();
  await rt.blobs.close();
  await rt.db.$disconnect();
}
