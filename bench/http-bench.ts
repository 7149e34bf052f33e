/**
 * Benchmark 4, HTTP: starts `npm start`'s server (bench/server.ts) on a free loopback port with
 * SQLite on a fresh DATA_DIR, builds a collection of `identities` identities (one Omniglot drawing
 * each, through the import API), then measures search and enroll requests/s and latency p50/p99 at
 * 1, 4 and 16 concurrent clients with autocannon, and `GET /api/health` at 16 (the stack's floor). Every
 * enroll carries a distinct image. A row counts autocannon's errors, timeouts and non-2xx answers, and apart
 * from them the 500s the servers logged for its operation's path from its start until the next row of the same
 * operation starts (this also sees a request that failed after autocannon stopped waiting for it, at the end of
 * a measurement); the caller fails the benchmark on any of either, after writing the result. With `instances: 2`
 * and a PostgreSQL `databaseUrl` (issue 21), two servers with their own DATA_DIRs share that database,
 * and autocannon spreads its connections over both (one connection stays on the first); on one machine
 * this measures the cost of sharing, not a speed-up. `benchHttpOnPostgres` measures one instance and then
 * two in the same run, each on a fresh database it creates on the given PostgreSQL server and drops after.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { readOmniglotEntries } from '@/lib/datasets/omniglot';
import { createTestDatabase } from '../tests/helpers/db';
import { log, ROOT } from './common';
import { api, BOUNDARY, importFiles, KEY, multipart, startBenchServer, type BenchServer } from './server';

/** One operation x concurrency measurement. */
export interface HttpRow {
  operation: 'search' | 'enroll' | 'health';
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Client-side errors, timeouts and non-2xx answers. */
  errors: number;
  /** 500s the servers logged for this operation from this row's start until the next row of the operation starts (or the end). */
  serverErrors: number;
}

/** Where the servers keep their data: SQLite in each DATA_DIR (one instance), or one PostgreSQL database for all. */
export interface HttpTopology {
  /** Servers: 1, or 2 on one PostgreSQL database. */
  instances: number;
  /** `postgresql://…` of an empty database; required for two instances. */
  databaseUrl?: string;
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
}

/** Runs the benchmark; `seconds` per measurement. */
export async function benchHttp(identities: number, seconds: number, topology: HttpTopology = { instances: 1 }): Promise<HttpResult> {
  const drawings = readOmniglotEntries(new Uint8Array(readFileSync(path.join(ROOT, '../shared/data/omniglot-background/images_background.zip'))));
  if (drawings.length < identities + 2000) throw new Error(`need ${identities + 2000} drawings, have ${drawings.length}`);
  if (topology.instances > 1 && !topology.databaseUrl?.startsWith('postgresql://')) throw new Error('two instances share one PostgreSQL database: pass its postgresql:// URL');
  const servers: BenchServer[] = [];
  try {
    // One after the other: the first migrates the database.
    for (let i = 0; i < topology.instances; i++) servers.push(await startBenchServer(topology.databaseUrl ? { DATABASE_URL: topology.databaseUrl } : {}));
    const base = servers[0].base;
    const collection = (await api(base, '/api/collections', { method: 'POST', json: { name: 'bench', kind: 'object', domain: 'drawings' } })) as { id: string };
    log(`http: building ${identities} identities (one drawing each) through the import API`);
    const t0 = Date.now();
    await importFiles(base, collection.id, drawings.slice(0, identities).map((d, i) => [`id${String(i).padStart(6, '0')}/${d.drawer}.png`, d.bytes]));
    const buildSeconds = (Date.now() - t0) / 1000;
    const loadIdentity = (await api(base, `/api/collections/${collection.id}/identities`, { method: 'POST', json: { name: 'enroll-load' } })) as { id: string };
    const pool = drawings.slice(identities).map((d, i) => multipart('images', `load${i}.png`, d.bytes));
    let next = 0;
    const query = multipart('image', 'query.png', drawings[identities + pool.length - 1].bytes);
    const rows: HttpRow[] = [];
    // The floor of the stack: the health check (no database, no ML) at 16 clients, in the same run.
    const plan = [...(['search', 'enroll'] as const).flatMap((operation) => [1, 4, 16].map((connections) => ({ operation, connections }))), { operation: 'health' as const, connections: 16 }];
    /** How many failures each server had logged when each row started. */
    const marks: number[][] = [];
    for (const { operation, connections } of plan) {
      marks.push(servers.map((x) => x.failures().length));
      const result = await autocannon({
        // autocannon spreads connections over several URLs (its README: "More than one URL is allowed"); its types say string.
        url: servers.map((x) => x.base) as unknown as string,
        connections,
        duration: seconds,
        requests: [
          operation === 'health'
            ? { method: 'GET', path: '/api/health' }
            : operation === 'search'
            ? { method: 'POST', path: `/api/collections/${collection.id}/search`, headers: { 'x-api-key': KEY, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body: query }
            : {
                method: 'POST',
                path: `/api/identities/${loadIdentity.id}/images`,
                headers: { 'x-api-key': KEY, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
                setupRequest: (req) => ({ ...req, body: pool[next++ % pool.length] }),
              },
        ],
      });
      const errors = result.errors + result.timeouts + result.non2xx;
      rows.push({ operation, connections, requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, requests: result.requests.total, errors, serverErrors: 0 });
      log(`http ${operation} x${connections}: ${result.requests.average.toFixed(1)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, client errors ${errors}`);
      if (next > pool.length) throw new Error(`enroll load ran out of distinct images (${pool.length})`);
    }
    const c = (await api(base, `/api/collections/${collection.id}`)) as { identityCount: number; imageCount: number };
    for (const server of servers) await server.stop();
    // Each failure goes to the latest row of its operation that had started when its server logged it.
    servers.forEach((server, s) =>
      server.failures().forEach((route, f) => {
        const operation = route.endsWith('/search') ? 'search' : route.endsWith('/images') ? 'enroll' : 'health';
        const row = rows.findLast((r, i) => r.operation === operation && marks[i][s] <= f) ?? rows[0];
        row.serverErrors++;
      }),
    );
    return { rows, identities: c.identityCount, images: c.imageCount, buildSeconds, instances: servers.length };
  } finally {
    for (const server of servers) await server.stop();
  }
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
      const r = await benchHttp(identities, seconds, { instances: n, databaseUrl: db.target.url });
      results.push({ ...r, loadBefore, loadAfter: loadNow() });
    } finally {
      await db.drop();
    }
  }
  return results;
}
