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
import { readOmniglotEntries, type OmniglotEntry } from '@/lib/datasets/omniglot';
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

/** A started benchmark target: its servers, collections and request bodies, and the rows measured on it. */
interface HttpTarget {
  servers: BenchServer[];
  collectionId: string;
  /** The face collection and its query, when face search is measured. */
  face: { id: string; query: Buffer } | null;
  /** The identity the enroll load adds images to, and those images (each sent once). */
  loadIdentityId: string;
  pool: Buffer[];
  next: number;
  /** The object search query. */
  query: Buffer;
  buildSeconds: number;
  rows: HttpRow[];
  /** How many failures each server had logged when each row started. */
  marks: number[][];
}

const readDrawings = (): OmniglotEntry[] => readOmniglotEntries(new Uint8Array(readFileSync(path.join(ROOT, '../shared/data/omniglot-background/images_background.zip'))));

/** Starts the servers of `topology` and builds the collections; stops what it started when any of it fails. */
async function startTarget(identities: number, drawings: OmniglotEntry[], options: HttpOptions & { withFaces: boolean }): Promise<HttpTarget> {
  const { topology = { instances: 1 }, faces = 0, serverEnv = {} } = options;
  if (drawings.length < identities + 2000) throw new Error(`need ${identities + 2000} drawings, have ${drawings.length}`);
  if (topology.instances > 1 && !topology.databaseUrl?.startsWith('postgresql://')) throw new Error('two instances share one PostgreSQL database: pass its postgresql:// URL');
  const servers: BenchServer[] = [];
  try {
    // One after the other: the first migrates the database.
    for (let i = 0; i < topology.instances; i++) servers.push(await startBenchServer({ ...serverEnv, ...(topology.databaseUrl ? { DATABASE_URL: topology.databaseUrl } : {}) }));
    const base = servers[0].base;
    const collection = (await api(base, '/api/collections', { method: 'POST', json: { name: 'bench', kind: 'object', domain: 'drawings' } })) as { id: string };
    log(`http: building ${identities} identities (one drawing each) through the import API`);
    const t0 = Date.now();
    await importFiles(base, collection.id, drawings.slice(0, identities).map((d, i) => [`id${String(i).padStart(6, '0')}/${d.drawer}.png`, d.bytes]));
    const buildSeconds = (Date.now() - t0) / 1000;
    const loadIdentity = (await api(base, `/api/collections/${collection.id}/identities`, { method: 'POST', json: { name: 'enroll-load' } })) as { id: string };
    const pool = drawings.slice(identities).map((d, i) => multipart('images', `load${i}.png`, d.bytes));
    const query = multipart('image', 'query.png', drawings[identities + pool.length - 1].bytes);
    const face = options.withFaces ? await buildFaceCollection(base, faces) : null;
    return { servers, collectionId: collection.id, face, loadIdentityId: loadIdentity.id, pool, next: 0, query, buildSeconds, rows: [], marks: [] };
  } catch (err) {
    for (const server of servers) await server.stop();
    throw err;
  }
}

/** Measures one operation at `connections` clients on `t` and adds the row to it. */
async function measureRow(t: HttpTarget, operation: HttpOperation, connections: number, seconds: number, faceRequestsPerClient: number): Promise<HttpRow> {
  t.marks.push(t.servers.map((x) => x.failures().length));
  const multipartHeaders = { 'x-api-key': KEY, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
  const started = performance.now();
  const result = await autocannon({
    // autocannon spreads connections over several URLs (its README: "More than one URL is allowed"); its types say string.
    url: t.servers.map((x) => x.base) as unknown as string,
    connections,
    // A fixed-count row stops at the first sample after its last answer: sampled every 50 ms, not every second.
    ...(operation === 'face-search' ? { amount: connections * faceRequestsPerClient, sampleInt: 50 } : { duration: seconds }),
    requests: [
      operation === 'health'
        ? { method: 'GET', path: '/api/health' }
        : operation === 'search'
        ? { method: 'POST', path: `/api/collections/${t.collectionId}/search`, headers: multipartHeaders, body: t.query }
        : operation === 'face-search'
        ? { method: 'POST', path: `/api/collections/${t.face!.id}/search`, headers: multipartHeaders, body: t.face!.query }
        : { method: 'POST', path: `/api/identities/${t.loadIdentityId}/images`, headers: multipartHeaders, setupRequest: (req) => ({ ...req, body: t.pool[t.next++ % t.pool.length] }) },
    ],
  });
  const errors = result.errors + result.timeouts + result.non2xx;
  const loadAvg1 = Math.round(os.loadavg()[0] * 100) / 100;
  // Completed requests over the elapsed time on this clock.
  const requestsPerSecond = result.requests.total / ((performance.now() - started) / 1000);
  const row: HttpRow = { operation, connections, requestsPerSecond, p50Ms: result.latency.p50, p99Ms: result.latency.p99, requests: result.requests.total, errors, serverErrors: 0, loadAvg1 };
  t.rows.push(row);
  log(`http ${operation} x${connections}: ${requestsPerSecond.toFixed(1)} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, client errors ${errors}, load ${loadAvg1}`);
  if (t.next > t.pool.length) throw new Error(`enroll load ran out of distinct images (${t.pool.length})`);
  return row;
}

/** Reads the collection's counts, stops the servers and gives each failure they logged to its row. */
async function finishTarget(t: HttpTarget, faces: number): Promise<HttpResult> {
  const c = (await api(t.servers[0].base, `/api/collections/${t.collectionId}`)) as { identityCount: number; imageCount: number };
  for (const server of t.servers) await server.stop();
  // Each failure goes to the latest row of its operation that had started when its server logged it.
  t.servers.forEach((server, s) =>
    server.failures().forEach((route, f) => {
      const operation = route.endsWith('/search') ? (t.face && route.includes(t.face.id) ? 'face-search' : 'search') : route.endsWith('/images') ? 'enroll' : 'health';
      const row = t.rows.findLast((r, i) => r.operation === operation && t.marks[i][s] <= f) ?? t.rows[0];
      row.serverErrors++;
    }),
  );
  return { rows: t.rows, identities: c.identityCount, images: c.imageCount, buildSeconds: t.buildSeconds, instances: t.servers.length, faces: t.face ? faces : 0 };
}

/** Runs the benchmark; `seconds` per measurement. */
export async function benchHttp(identities: number, seconds: number, options: HttpOptions = {}): Promise<HttpResult> {
  const { faces = 0, faceRequestsPerClient = 10 } = options;
  const operations = (options.operations ?? HTTP_OPERATIONS).filter((o) => o !== 'face-search' || faces > 0);
  const t = await startTarget(identities, readDrawings(), { ...options, withFaces: operations.includes('face-search') });
  try {
    // The floor of the stack: the health check (no database, no ML) at 16 clients, in the same run.
    for (const operation of operations) {
      for (const connections of operation === 'health' ? [16] : [1, 4, 16]) await measureRow(t, operation, connections, seconds, faceRequestsPerClient);
    }
    return await finishTarget(t, faces);
  } finally {
    for (const server of t.servers) await server.stop();
  }
}

/** One micro-batching window's servers and rows in `benchHttpWindows`. */
export interface HttpWindowResult extends HttpResult {
  batchWindowMs: number;
}

/**
 * Object search side by side per micro-batching window (issue 20, item 3): one server per window
 * (`EMBED_BATCH_WINDOW_MS`), all started and built first, then each client count measured on every
 * server in turn, the order reversed each round so that neither window always goes first, `rounds`
 * times; then health at 16 clients on each. Load drifts between rows on a shared machine; alternating
 * rows spreads it over the windows alike.
 */
export async function benchHttpWindows(identities: number, seconds: number, windowsMs: readonly number[], rounds: number): Promise<HttpWindowResult[]> {
  const drawings = readDrawings();
  const targets: HttpTarget[] = [];
  try {
    for (const ms of windowsMs) {
      log(`http: server with EMBED_BATCH_WINDOW_MS=${ms}`);
      targets.push(await startTarget(identities, drawings, { serverEnv: { EMBED_BATCH_WINDOW_MS: String(ms) }, withFaces: false }));
    }
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const connections of [1, 4, 16]) {
        for (const t of order) {
          log(`http: round ${round + 1}, window ${windowsMs[targets.indexOf(t)]} ms`);
          await measureRow(t, 'search', connections, seconds, 0);
        }
      }
    }
    for (const t of targets) await measureRow(t, 'health', 16, seconds, 0);
    const results: HttpWindowResult[] = [];
    for (const [i, t] of targets.entries()) results.push({ batchWindowMs: windowsMs[i], ...(await finishTarget(t, 0)) });
    return results;
  } finally {
    for (const t of targets) for (const server of t.servers) await server.stop();
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
