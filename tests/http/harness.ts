// The HTTP suite's service: the real runtime (tests/service/harness.ts: migrated test database of
// the suite's provider, TF.js, embedding worker, blob and index stores, temporary DATA_DIR) plus
// the auth variables. lib/config/env parses process.env once, so every module that reads it is
// imported dynamically after the variables are set: that is the test seam, no runtime override.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { startDefaultHarness, type Harness } from '../service/harness';

/** The admin password the suite signs in with. */
export const ADMIN_PASSWORD = 'correct horse battery staple';
/** The `API_KEY` variable: an admin key. */
export const ENV_API_KEY = 'env-admin-key-0123456789abcdef';
/** MAX_UPLOAD_BYTES of the suite: 4 MiB. */
export const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;
/** MAX_ARCHIVE_ENTRIES and MAX_ARCHIVE_UNPACKED_BYTES of the suite. */
export const ARCHIVE_LIMITS = { entries: 200, unpackedBytes: 32 * 1024 * 1024 };

/** Route modules by path template (one import per file, like Next). */
export async function loadRoutes() {
  return {
    session: await import('@/app/api/session/route'),
    keys: await import('@/app/api/keys/route'),
    key: await import('@/app/api/keys/[id]/route'),
    audit: await import('@/app/api/audit/route'),
    collections: await import('@/app/api/collections/route'),
    collection: await import('@/app/api/collections/[id]/route'),
    identities: await import('@/app/api/collections/[id]/identities/route'),
    search: await import('@/app/api/collections/[id]/search/route'),
    importArchive: await import('@/app/api/collections/[id]/import/route'),
    calibration: await import('@/app/api/collections/[id]/calibration/route'),
    exportCollection: await import('@/app/api/collections/[id]/export/route'),
    verifyPair: await import('@/app/api/collections/[id]/verify/route'),
    identity: await import('@/app/api/identities/[id]/route'),
    images: await import('@/app/api/identities/[id]/images/route'),
    verifyIdentity: await import('@/app/api/identities/[id]/verify/route'),
    image: await import('@/app/api/images/[id]/route'),
    imageFile: await import('@/app/api/images/[id]/file/route'),
    renditions: await import('@/app/api/renditions/route'),
    retrain: await import('@/app/api/collections/[id]/retrain/route'),
    promote: await import('@/app/api/collections/[id]/promote/route'),
    rollback: await import('@/app/api/collections/[id]/rollback/route'),
    collectionModels: await import('@/app/api/collections/[id]/models/route'),
    collectionModel: await import('@/app/api/collections/[id]/models/[version]/route'),
    jobs: await import('@/app/api/jobs/route'),
    job: await import('@/app/api/jobs/[id]/route'),
    jobEvents: await import('@/app/api/jobs/[id]/events/route'),
    cancelJob: await import('@/app/api/jobs/[id]/cancel/route'),
    models: await import('@/app/api/models/route'),
    model: await import('@/app/api/models/[version]/route'),
    modelPlot: await import('@/app/api/models/[version]/plots/[name]/route'),
    openapi: await import('@/app/api/openapi.json/route'),
    health: await import('@/app/api/health/route'),
  };
}

/** The loaded route modules. */
export type Routes = Awaited<ReturnType<typeof loadRoutes>>;

/** A started service with its routes. */
export interface HttpHarness extends Harness {
  routes: Routes;
}

/** Sets the auth variables, starts the runtime and loads the routes. */
export async function startHttpHarness(): Promise<HttpHarness> {
  process.env.ADMIN_PASSWORD = ADMIN_PASSWORD;
  process.env.API_KEY = ENV_API_KEY;
  process.env.MAX_UPLOAD_BYTES = String(MAX_UPLOAD_BYTES);
  process.env.MAX_ARCHIVE_ENTRIES = String(ARCHIVE_LIMITS.entries);
  process.env.MAX_ARCHIVE_UNPACKED_BYTES = String(ARCHIVE_LIMITS.unpackedBytes);
  const h = await startDefaultHarness();
  return { ...h, routes: await loadRoutes() };
}

/** Every file under a folder as `relative/path:size`, sorted (the "nothing written" check). */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${path.relative(root, p)}:${st.size}`);
    }
  };
  walk(root);
  return out.sort();
}

/** Tables the "nothing written" check counts. */
const TABLES = ['collection', 'identity', 'blob', 'blobContent', 'blobChunk', 'modelFile', 'image', 'embedding', 'change', 'apiKey', 'session', 'setting', 'auditEntry', 'job'] as const;

/**
 * Row counts of every table, one collection's index size and every file under DATA_DIR: equal
 * before and after a refused request. Dirty indexes are saved first, so the periodic index save
 * (every 30 s) finds nothing to write between two snapshots.
 */
export async function snapshotService(h: HttpHarness, collectionId: string, modelVersion: string) {
  const rt = h.svc.getRuntime();
  await rt.indexes.flush();
  const counts: Record<string, number> = {};
  for (const t of TABLES) counts[t] = await (rt.db[t] as unknown as { count: () => Promise<number> }).count();
  return { counts, indexSize: rt.indexes.stats({ collectionId, modelVersion })?.size ?? null, files: listFiles(h.dataDir) };
}
