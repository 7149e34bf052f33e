/**
 * Benchmark 4, HTTP: starts `npm start`'s server (bench/server.ts) on a free loopback port with
 * SQLite on a fresh DATA_DIR, builds a collection of `identities` identities (one Omniglot drawing
 * each, through the import API) and, with `faces`, a face collection of that many CFP people (one
 * photo each), then measures requests/s and latency p50/p99 at 1, 4 and 16 concurrent clients with
 * autocannon: object search, face search (a 640x480 photo of one face, bench/face-photo.ts; issue 20,
 * item 7), enrolment, and `GET /api/health` at 16 (the stack's floor). Every row records the machine's
 * 1-minute load average as it ends (`uptime`'s first figure), so a figure from a loaded run reads as
 * one. Every enroll carries a distinct image. A row counts autocannon's errors, timeouts and non-2xx answers, and apart
 * from them the 500s the servers logged for its operation's path from its start until the next row of the same
 * operation starts (this also sees a request that failed after autocannon stopped waiting for it, at the end of
 * a measurement); the caller fails the benchmark on any of either, after writing the result. With `instances: 2`
 * and a PostgreSQL `databaseUrl` (issue 21), two servers with their own DATA_DIRs share that database,
 * and autocannon spreads its connections over both (one connection stays on the first); on one machine
 * this measures the cost of sharing, not a speed-up. `benchHttpOnPostgres` measures one instance and then
 * two in the same run, each on a fresh database it creates on the given PostgreSQL server and drops after.
 * `serverEnv` runs the servers with other settings (the micro-batching window, issue 20 item 3).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { readOmniglotEntries } from '@/lib/datasets/omniglot';
import { createTestDatabase } from '../tests/helpers/db';
import { log, ROOT } from './common';
import { cfpFiles, onePersonPhoto } from './face-photo';
import { api, BOUNDARY, importFiles, KEY, multipart, startBenchServer, type BenchServer } from './server';

/** One operation x concurrency measurement. */
export interface HttpRow {
  /** `search`: object search; `face-search`: face search with a 640x480 photo of one face. */
  operation: HttpOperation;
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Client-side errors, timeouts and non-2xx answers. */
  errors: number;
  /** 500s the servers logged for this operation from this row's start until the next row of the operation starts (or the end). */
  serverErrors: number;
  /** The machine's 1-minute load average when the row ended (`os.loadavg()[0]`, as `uptime` prints). */
  loadAvg1: number;
}

/** What the benchmark measures, in this order. */
export const HTTP_OPERATIONS = ['search', 'face-search', 'enroll', 'health'] as const;
export type HttpOperation = (typeof HTTP_OPERATIONS)[number];

/** Where the servers keep their data: SQLite in each DATA_DIR (one instance), or one PostgreSQL database for all. */
export interface HttpTopology {
  /** Servers: 1, or 2 on one PostgreSQL database. */
  instances: number;
  /** `postgresql://…` of an empty database; required for two instances. */
  databaseUrl?: string;
}

/** What `benchHttp` measures and how the servers run. */
export interface HttpOptions {
  /** Servers and database (default one instance on SQLite). */
  topology?: HttpTopology;
  /** People in the face collection; 0 (default) measures no face search. */
  faces?: number;
  /**
   * Face searches per client in each face-search row (default 10). A fixed count, not a duration: a face
   * search takes long enough that requests still in flight at the end of a duration would run into the next row.
   */
  faceRequestsPerClient?: number;
  /** Operations to measure (default all of HTTP_OPERATIONS; face search only with `faces`). */
  operations?: readonly HttpOperation[];
  /** More environment for the servers (e.g. `EMBED_BATCH_WINDOW_MS`). */
  serverEnv?: Record<string, string>;
}

/** Throws when any row has a client error or a server-logged 500 (zero allowed): after the result is written. */
export function assertNoHttpErrors(rows: readonly HttpRow[], what: string): void {
  const bad = rows.filter((r) => r.errors > 0 || r.serverErrors > 0);
  if (bad.length > 0) throw new Error(`${what}: ${bad.map((r) => `${r.operation} x${r.connections} ${r.errors} client errors, ${r.serverErrors} server 500s`).join('; ')} (zero allowed)`);
}

/** One topology's measurement. */
export interface HttpResult {
  rows: HttpRow[];
  /** Identities and images in the collection at the end (the enroll load adds images). */
  identities: number;
  images: number;
  buildSeconds: number;
  instances: number;
  /** People in the face collection (0: no face search measured). */
  faces: number;
}

/** Runs the benchmark; `seconds` per measurement. */
export async function benchHttp(identities: number, seconds: number, options: HttpOptions = {}): Promise<HttpResult> {
  const { topology = { instances: 1 }, faces = 0, faceRequestsPerClient = 10, serverEnv = {} } = options;
  const operations = (options.operations ?? HTTP_OPERATIONS).filter((o) => o !== 'face-search' || faces > 0);
  const drawings = readOmniglotEntries(new Uint8Array(readFileSync(path.join(ROOT, '../shared/data/omniglot-background/images_background.zip'))));
  if (drawings.length < identities + 2000) throw new Error(`need ${identities + 2000} drawings, have ${drawings.length}`);
  if (topology.instances > 1 && !topology.databaseUrl?.startsWith('postgresql://')) throw new Error('two instances share one PostgreSQL database: pass its postgresql:// URL');
  const servers: BenchServer[] = [];
  try {
    // One after the other: the first migrates the database.
    for (let i = 0; i < topology.instances; i++) servers.push(await startBenchServer({ ...serverEnv, ...(topology.databaseUrl ? { DATABASE_URL: topology.databaseUrl } : {}) }));
    const base = servers[0].base;
    const collection = (await api(base, '/api/collections', { method: 'POST', json: { name: 'bench', kind: 'object' } })) as { id: string };
    log(`http: building ${identities} identities (one drawing each) through the import API`);
    const t0 = Date.now();
    await importFiles(base, collection.id, drawings.slice(0, identities).map((d, i) => [`id${String(i).padStart(6, '0')}/${d.drawer}.png`, d.bytes]));
    const buildSeconds = (Date.now() - t0) / 1000;
    const loadIdentity = (await api(base, `/api/collections/${collection.id}/identities`, { method: 'POST', json: { name: 'enroll-load' } })) as { id: string };
    const pool = drawings.slice(identities).map((d, i) => multipart('images', `load${i}.png`, d.bytes));
    let next = 0;
    const query = multipart('image', 'query.png', drawings[identities + pool.length - 1].bytes);
    const face = operations.includes('face-search') ? await buildFaceCollection(base, faces) : null;
    const rows: HttpRow[] = [];
    // The floor of the stack: the health check (no database, no ML) at 16 clients, in the same run.
    const plan = operations.flatMap((operation) => (operation === 'health' ? [16] : [1, 4, 16]).map((connections) => ({ operation, connections })));
    /** How many failures each server had logged when each row started. */
    const marks: number[][] = [];
    for (const { operation, connections } of plan) {
      marks.push(servers.map((x) => x.failures().length));
      const result = await autocannon({
        // autocannon spreads connections over several URLs (its README: "More than one URL is allowed"); its types say string.
        url: servers.map((x) => x.base) as unknown as string,
        connections,
        ...(operation === 'face-search' ? { amount: connections * faceRequestsPerClient } : { duration: seconds }),
        requests: [
          operation === 'health'
            ? { method: 'GET', path: '/api/health' }
            : operation === 'search'
            ? { method: 'POST', path: `/api/collections/${collection.id}/search`, headers: { 'x-api-key': KEY, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body: query }
            : operation === 'face-search'
            ? { method: 'POST', path: `/api/collections/${face!.id}/search`, headers: { 'x-api-key': KEY, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body: face!.query }
            : {
                method: 'POST',
                path: `/api/identities/${loadIdentity.id}/images`,
                headers: { 'x-api-key': KEY, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
                setupRequest: (req) => ({ ...req, body: pool[next++ % pool.length] }),
              },
        ],
      });
      const errors = result.errors + result.timeouts + result.non2xx;
      const loadAvg1 = Math.round(os.loadavg()[0] * 100) / 100;
      // Completed requests over the elapsed time (a fixed-count row ends on a partial second).
      rows.push({ operation, connections, requestsPerSecond: result.requests.total / result.duration, p50Ms: result.latency.p50, p99Ms: result.latency.p99, requests: result.requests.total, errors, serverErrors: 0, loadAvg1 });
      log(`http ${operation} x${connections}: ${(result.requests.total / result.duration).toFixed(1)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, client errors ${errors}, load ${loadAvg1}`);
      if (next > pool.length) throw new Error(`enroll load ran out of distinct images (${pool.length})`);
    }
    const c = (await api(base, `/api/collections/${collection.id}`)) as { identityCount: number; imageCount: number };
    for (const server of servers) await server.stop();
    // Each failure goes to the latest row of its operation that had started when its server logged it.
    servers.forEach((server, s) =>
      server.failures().forEach((route, f) => {
        const operation = route.endsWith('/search') ? (face && route.includes(face.id) ? 'face-search' : 'search') : route.endsWith('/images') ? 'enroll' : 'health';
        const row = rows.findLast((r, i) => r.operation === operation && marks[i][s] <= f) ?? rows[0];
        row.serverErrors++;
      }),
    );
    return { rows, identities: c.identityCount, images: c.imageCount, buildSeconds, instances: servers.length, faces: face ? faces : 0 };
  } finally {
    for (const server of servers) await server.stop();
  }
}

/**
 * A face collection of `people` CFP people (one photo each, through the import API) and its query: a
 * 640x480 photo of one face composed from the next person's photo (not enrolled: a search's usual case).
 */
async function buildFaceCollection(base: string, people: number): Promise<{ id: string; query: Buffer }> {
  const files = cfpFiles(people + 1);
  const collection = (await api(base, '/api/collections', { method: 'POST', json: { name: 'bench-faces', kind: 'face' } })) as { id: string };
  log(`http: building ${people} face identities (one CFP photo each) through the import API`);
  await importFiles(base, collection.id, files.slice(0, people));
  const query = multipart('image', 'face.png', await onePersonPhoto(files[people][1]));
  // Warm-up, not measured: the first detections in each embedding worker build the detector's kernels.
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      const res = await fetch(`${base}/api/collections/${collection.id}/search`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body: new Uint8Array(query) });
      if (!res.ok) throw new Error(`face search warm-up: ${res.status} ${(await res.text()).slice(0, 300)}`);
    }),
  );
  return { id: collection.id, query };
}

/** One topology of `benchHttpOnPostgres`, with the machine's 1/5/15 min load averages before and after it. */
export interface HttpTopologyResult extends HttpResult {
  loadBefore: number[];
  loadAfter: number[];
}

const loadNow = (): number[] => os.loadavg().map((x) => Math.round(x * 100) / 100);

/**
 * Runs the benchmark once per entry of `instances` (e.g. [1, 2]), the same `identities` each, every
 * topology on its own fresh database created on the PostgreSQL server of `serverUrl` (which must allow
 * CREATE DATABASE) and dropped afterwards, so neither inherits the other's rows.
 */
export async function benchHttpOnPostgres(identities: number, seconds: number, serverUrl: string, instances: readonly number[]): Promise<HttpTopologyResult[]> {
  const results: HttpTopologyResult[] = [];
  for (const n of instances) {
    const db = await createTestDatabase('postgresql', serverUrl);
    try {
      log(`http: ${n} instance(s) on a fresh PostgreSQL database`);
      const loadBefore = loadNow();
      const r = await benchHttp(identities, seconds, { topology: { instances: n, databaseUrl: db.target.url } });
      results.push({ ...r, loadBefore, loadAfter: loadNow() });
    } finally {
      await db.drop();
    }
  }
  return results;
}
