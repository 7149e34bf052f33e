/**
 * The service runtime: database (migrated), TF.js backend and default models, started once per
 * process. State lives on `globalThis` so the custom server (scripts/start.ts) and Next's route
 * bundles, which load separate module copies, see one runtime.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { env } from '@/lib/config/env';
import { openDb, resolveDbTarget, type Db, type DbTarget } from '@/lib/db/client';
import { migrate, type MigrationState } from '@/lib/db/migrate';
import type { BackendName } from '@/lib/embedder/backend';
import { NotReadyError } from '@/lib/errors';
import { markInterrupted, stopAllChildJobs } from '@/lib/jobs';
import { pruneAudit } from './audit-retention';
import { BlobStore } from './blob-store';
import { startEmbeddingWorker, type EmbeddingWorker } from './embedding-worker';
import { createFacePreparer } from './face-preparer';
import { IndexStore } from './index-store';
import { loadDefaultModels, modelRoots, type DefaultModels, type ModelKind, type ModelRoots, type LoadedModelsByVersion } from './model-registry';
import { serveModel } from './serve-model';
import { registerFacePreparer } from './embed-input';

/** A started runtime. */
export interface Runtime {
  db: Db;
  dbTarget: DbTarget;
  migrations: MigrationState;
  backend: BackendName;
  /** The default model of each kind (also in `served`). */
  models: DefaultModels;
  /** Every model loaded in the worker, by version (defaults and the versions collections use). */
  served: LoadedModelsByVersion;
  /** Where model folders are found. */
  modelRoots: ModelRoots;
  /** The embedding worker (TF.js off the request thread). */
  embedder: EmbeddingWorker;
  /** Original image bytes under DATA_DIR/blobs. */
  blobs: BlobStore;
  /** HNSW indexes under DATA_DIR/indexes, kept in step with the change log. */
  indexes: IndexStore;
}

/** Health snapshot of the runtime, cheap to take at any moment. */
export interface RuntimeStatus {
  /** `degraded`: started, but the embedding worker is restarting after an exit (searches and enrolments answer 503). */
  status: 'starting' | 'ready' | 'degraded' | 'failed';
  version: string;
  uptimeSeconds: number;
  backend: BackendName | null;
  database: { kind: DbTarget['provider']; migrations: { applied: number; latest: string | null; pending: number } | null };
  models: { kind: string; version: string; embeddingDim: number }[];
  error?: string;
}

interface Holder {
  startedAtMs: number;
  promise: Promise<Runtime>;
  runtime?: Runtime;
  error?: Error;
}

const KEY = Symbol.for('fewshot.runtime');
const SHUTDOWN_KEY = Symbol.for('fewshot.shutdown');
type Global = typeof globalThis & { [KEY]?: Holder; [SHUTDOWN_KEY]?: () => Promise<void> };
const g = globalThis as Global;

let version: string | undefined;

/** The package version, read once (health checks call this at any rate). */
function readVersion(): string {
  version ??= (JSON.parse(readFileSync(path.join(process.cwd(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

async function boot(): Promise<Runtime> {
  const dbTarget = resolveDbTarget(env.DATABASE_URL, env.dataDir);
  const migrations = await migrate(process.cwd(), dbTarget);
  const db = openDb(dbTarget);
  const models = await loadDefaultModels(env.modelsDir);
  // TF.js runs only in the embedding worker; the request thread never loads it.
  const embedder = await startEmbeddingWorker({
    backend: env.ML_BACKEND,
    models: [...models.entries()].map(([kind, m]) => ({ kind, version: m.manifest.version, dir: m.dir })),
  });
  // Face collections: detection and alignment in the worker, then the face model's embedding.
  registerFacePreparer(models.has('face') ? createFacePreparer(embedder) : null);
  const served: LoadedModelsByVersion = new Map([...models.values()].map((m) => [m.manifest.version, m]));
  const roots = modelRoots(env.modelsDir, env.dataDir);
  // Trained versions collections use (or fall back to after a rollback) load now, so searches never wait.
  const used = await db.collection.findMany({ distinct: ['modelVersion'], select: { kind: true, modelVersion: true } });
  for (const u of used) {
    if (served.has(u.modelVersion)) continue;
    await serveModel({ served, modelRoots: roots, embedder }, u.kind as ModelKind, u.modelVersion).catch((err: Error) =>
      console.error(`[runtime] model ${u.modelVersion} of a collection cannot load: ${err.message}`),
    );
  }
  const blobs = new BlobStore(env.dataDir);
  // Files written before a transaction that never committed (crash) or left by an interrupted delete.
  const removed = await blobs.removeOrphans(async (shas) => {
    const rows = await db.blob.findMany({ where: { sha256: { in: shas } }, select: { sha256: true } });
    return new Set(rows.map((r) => r.sha256));
  });
  if (removed.length > 0) console.info(`[runtime] removed ${removed.length} orphan blob file(s)`);
  const indexes = new IndexStore(db, env.dataDir);
  await indexes.open((version) => served.get(version)?.manifest.embeddingDim ?? null);
  await pruneAudit(db);
  const interrupted = await markInterrupted(db);
  if (interrupted.length > 0) console.info(`[runtime] marked ${interrupted.length} job(s) interrupted by the restart`);
  return { db, dbTarget, migrations, backend: embedder.backend, models, served, modelRoots: roots, embedder, blobs, indexes };
}

/** Starts the runtime once per process; later calls return the same promise. */
export function startRuntime(): Promise<Runtime> {
  return holder().promise;
}

function holder(): Holder {
  const existing = g[KEY];
  if (existing) return existing;
  const created: Holder = { startedAtMs: Date.now(), promise: boot() };
  g[KEY] = created;
  created.promise.then(
    (runtime) => {
      created.runtime = runtime;
      console.info(`[runtime] ready: ${runtime.dbTarget.provider}, ${runtime.backend}, ${runtime.models.size} model(s)`);
    },
    (err: Error) => {
      created.error = err;
      console.error('[runtime] start failed:', err);
    },
  );
  g[SHUTDOWN_KEY] = stopRuntime;
  return created;
}

/** The ready runtime, or a `NotReadyError` (503) while it starts or after it failed. */
export function getRuntime(): Runtime {
  const h = holder();
  if (h.runtime) return h.runtime;
  if (h.error) throw new NotReadyError('runtime_failed', `the service failed to start: ${h.error.message}`);
  throw new NotReadyError('starting', 'the service is starting: database, TF.js backend and models are loading');
}

/** Snapshot for `GET /api/health`. */
export function runtimeStatus(): RuntimeStatus {
  const h = holder();
  const rt = h.runtime;
  const target = rt?.dbTarget ?? resolveDbTarget(env.DATABASE_URL, env.dataDir);
  const degraded = rt !== undefined && rt.embedder.state !== 'ready';
  return {
    status: rt ? (degraded ? 'degraded' : 'ready') : h.error ? 'failed' : 'starting',
    version: readVersion(),
    uptimeSeconds: Math.round((Date.now() - h.startedAtMs) / 1000),
    backend: rt?.backend ?? null,
    database: {
      kind: target.provider,
      migrations: rt
        ? { applied: rt.migrations.applied.length, latest: rt.migrations.applied.at(-1) ?? null, pending: rt.migrations.pending.length }
        : null,
    },
    models: rt
      ? [...rt.models.values()].map((m) => ({ kind: m.manifest.kind, version: m.manifest.version, embeddingDim: m.manifest.embeddingDim }))
      : [],
    ...(h.error ? { error: 'start failed; see the server log' } : {}),
    ...(degraded ? { error: `the embedding worker exited and is restarting (restarts so far: ${rt.embedder.restarts})` } : {}),
  };
}

/** Flushes state and closes the database (called on SIGTERM by the server). */
export async function stopRuntime(): Promise<void> {
  const rt = g[KEY]?.runtime;
  if (!rt) return;
  stopAllChildJobs();
  await rt.indexes.close();
  registerFacePreparer(null);
  await rt.embedder.close();
  await rt.db.$disconnect();
}
