/**
 * The process's state, created once and kept on `globalThis` under one key: the runtime (database,
 * embedding worker and its face preparer, index and blob stores, models), the retraining child
 * processes, and the gallery calibration's cache. Next compiles the route bundles and
 * instrumentation.ts as separate module graphs, and the custom server (scripts/start.ts) loads a
 * third, so a module variable exists once per graph: a shutdown that read a module-level child map
 * saw none of the children the routes started, and a retraining child outlived the server
 * (tests/http/shutdown-retrain.slow.test.ts). Everything here is reached through `processState()`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { env } from '@/lib/config/env';
import { resolveDbTarget } from '@/lib/db/client';
import { NotReadyError } from '@/lib/errors';
import { ChildJobs } from '@/lib/jobs';
import type { GalleryTrialsEntry } from './gallery-calibration';
import { PROCESS_STATE_KEY } from './process-key';
import { bootRuntime, closeRuntime, type Runtime, type RuntimeStatus } from './runtime/runtime';

/** State that lives as long as the process. */
export interface ProcessState {
  /** When the runtime started booting (uptime of the health report). */
  startedAtMs: number;
  /** The package version, read once (health checks ask at any rate). */
  version: string;
  /** The runtime's start: settles once; `runtime` or `error` is set when it does. */
  booting: Promise<Runtime>;
  runtime?: Runtime;
  error?: Error;
  /** Job child processes started by this process (retraining). */
  childJobs: ChildJobs;
  /** The gallery calibration's trials per collection id (lib/matching/gallery-calibration.ts). */
  galleryTrials: Map<string, GalleryTrialsEntry>;
  /** Stops the job children (their jobs read `interrupted`), flushes the indexes, closes the worker and the database (SIGTERM, scripts/start.ts). */
  stop: () => Promise<void>;
}

type Global = typeof globalThis & { [PROCESS_STATE_KEY]?: ProcessState };

/** The process state, created (and the runtime's boot started) on first use. */
export function processState(): ProcessState {
  const g = globalThis as Global;
  return (g[PROCESS_STATE_KEY] ??= createProcessState());
}

function createProcessState(): ProcessState {
  const state: ProcessState = {
    startedAtMs: Date.now(),
    version: (JSON.parse(readFileSync(path.join(process.cwd(), 'package.json'), 'utf8')) as { version: string }).version,
    booting: bootRuntime(),
    childJobs: new ChildJobs(),
    galleryTrials: new Map(),
    stop: async () => {
      await state.childJobs.stopAll();
      if (state.runtime) await closeRuntime(state.runtime);
    },
  };
  state.booting.then(
    (runtime) => {
      state.runtime = runtime;
      console.info(`[runtime] ready: ${runtime.dbTarget.provider}, ${runtime.backend}, ${runtime.models.size} model(s)`);
    },
    (err: Error) => {
      state.error = err;
      console.error('[runtime] start failed:', err);
    },
  );
  return state;
}

/** Starts the runtime once per process; later calls return the same promise. */
export function startRuntime(): Promise<Runtime> {
  return processState().booting;
}

/** The ready runtime, or a `NotReadyError` (503) while it starts or after it failed. */
export function getRuntime(): Runtime {
  const s = processState();
  if (s.runtime) return s.runtime;
  if (s.error) throw new NotReadyError('runtime_failed', `the service failed to start: ${s.error.message}`);
  throw new NotReadyError('starting', 'the service is starting: database, TF.js backend and models are loading');
}

/** Stops what the process runs (called on SIGTERM by the server, and by tests). */
export function stopRuntime(): Promise<void> {
  return processState().stop();
}

/** Snapshot for `GET /api/health`. */
export function runtimeStatus(): RuntimeStatus {
  const s = processState();
  const rt = s.runtime;
  const target = rt?.dbTarget ?? resolveDbTarget(env.DATABASE_URL, env.dataDir);
  const degraded = rt !== undefined && rt.embedder.state !== 'ready';
  return {
    status: rt ? (degraded ? 'degraded' : 'ready') : s.error ? 'failed' : 'starting',
    version: s.version,
    uptimeSeconds: Math.round((Date.now() - s.startedAtMs) / 1000),
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
    ...(s.error ? { error: 'start failed; see the server log' } : {}),
    ...(degraded ? { error: `the embedding worker exited and is restarting (restarts so far: ${rt.embedder.restarts})` } : {}),
  };
}
