/**
 * Benchmark 4, HTTP: starts `npm start`'s server (dist/start.mjs, tests/helpers/start.ts) on a free loopback port with
 * SQLite on a fresh DATA_DIR, builds a collection of `identities` identities (one Omniglot drawing
 * each, through the import API), then measures search and enroll requests/s and latency p50/p99 at
 * 1, 4 and 16 concurrent clients with autocannon. Every enroll carries a distinct image. Any error
 * or non-2xx answer fails the benchmark. With `instances: 2` and a PostgreSQL `databaseUrl` (issue 21),
 * two servers with their own DATA_DIRs share that database, and autocannon spreads its connections
 * over both (one connection stays on the first); on one machine this measures the cost of sharing, not a speed-up.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { zipSync } from 'fflate';
import { readOmniglotEntries } from '@/lib/datasets/omniglot';
import { spawnStart } from '../tests/helpers/start';
import { log, ROOT } from './common';

/** One operation x concurrency measurement. */
export interface HttpRow {
  operation: 'search' | 'enroll';
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
}

const KEY = 'bench-admin-api-key-0123456789';
const BOUNDARY = '----fewshot-bench-boundary';

function multipart(field: string, name: string, bytes: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="${name}"\r\nContent-Type: image/png\r\n\r\n`),
    Buffer.from(bytes),
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function api(base: string, route: string, init: { method?: string; json?: unknown } = {}): Promise<unknown> {
  const headers: Record<string, string> = { 'x-api-key': KEY };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${route}`, { method: init.method ?? 'GET', headers, body: init.json !== undefined ? JSON.stringify(init.json) : undefined });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${route}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** Where the servers keep their data: SQLite in each DATA_DIR (one instance), or one PostgreSQL database for all. */
export interface HttpTopology {
  /** Servers: 1, or 2 on one PostgreSQL database. */
  instances: number;
  /** `postgresql://…` of an empty database; required for two instances. */
  databaseUrl?: string;
}

/** One server: its base URL, process and DATA_DIR. */
interface Started {
  base: string;
  server: ReturnType<typeof spawnStart>;
  dataDir: string;
}

async function startOne(databaseUrl: string | undefined): Promise<Started> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fewshot-bench-'));
  const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, API_KEY: KEY, MAX_UPLOAD_BYTES: String(64 * 1024 * 1024), ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
  return { base: `http://127.0.0.1:${port}`, server: spawnStart(env, ['ignore', 'ignore', 'inherit']), dataDir };
}

async function waitReady(base: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    const ok = await fetch(`${base}/api/health`).then((r) => r.status === 200, () => false);
    if (ok) return;
    if (Date.now() - started > 600_000) throw new Error(`the server at ${base} did not become ready in 10 minutes`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Runs the benchmark; `seconds` per measurement. */
export async function benchHttp(identities: number, seconds: number, topology: HttpTopology = { instances: 1 }): Promise<{ rows: HttpRow[]; identities: number; images: number; buildSeconds: number; instances: number }> {
  const drawings = readOmniglotEntries(new Uint8Array(readFileSync(path.join(ROOT, '../shared/data/omniglot-background/images_background.zip'))));
  if (drawings.length < identities + 2000) throw new Error(`need ${identities + 2000} drawings, have ${drawings.length}`);
  if (topology.instances > 1 && !topology.databaseUrl?.startsWith('postgresql://')) throw new Error('two instances share one PostgreSQL database: pass its postgresql:// URL');
  const servers: Started[] = [];
  try {
    // One after the other: the first migrates the database.
    for (let i = 0; i < topology.instances; i++) {
      servers.push(await startOne(topology.databaseUrl));
      await waitReady(servers[i].base);
    }
    const base = servers[0].base;
    const collection = (await api(base, '/api/collections', { method: 'POST', json: { name: 'bench', kind: 'object' } })) as { id: string };
    log(`http: building ${identities} identities (one drawing each) through the import API`);
    const t0 = Date.now();
    for (let start = 0; start < identities; start += 5000) {
      const part = drawings.slice(start, Math.min(identities, start + 5000));
      const zip = zipSync(Object.fromEntries(part.map((d, i) => [`id${String(start + i).padStart(6, '0')}/${d.drawer}.png`, d.bytes])));
      const form = new FormData();
      form.append('archive', new Blob([new Uint8Array(zip)]), 'part.zip');
      const res = await fetch(`${base}/api/collections/${collection.id}/import`, { method: 'POST', headers: { 'x-api-key': KEY }, body: form });
      if (!res.ok) throw new Error(`import: ${res.status} ${(await res.text()).slice(0, 300)}`);
    }
    const buildSeconds = (Date.now() - t0) / 1000;
    const loadIdentity = (await api(base, `/api/collections/${collection.id}/identities`, { method: 'POST', json: { name: 'enroll-load' } })) as { id: string };
    const pool = drawings.slice(identities).map((d, i) => multipart('images', `load${i}.png`, d.bytes));
    let next = 0;
    const query = multipart('image', 'query.png', drawings[identities + pool.length - 1].bytes);
    const rows: HttpRow[] = [];
    for (const operation of ['search', 'enroll'] as const) {
      for (const connections of [1, 4, 16]) {
        const result = await autocannon({
          // autocannon spreads connections over several URLs (its README: "More than one URL is allowed"); its types say string.
          url: servers.map((x) => x.base) as unknown as string,
          connections,
          duration: seconds,
          requests: [
            operation === 'search'
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
        rows.push({ operation, connections, requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, requests: result.requests.total, errors });
        log(`http ${operation} x${connections}: ${result.requests.average.toFixed(1)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, errors ${errors}`);
        if (errors > 0) throw new Error(`http ${operation} at ${connections} connections: ${errors} errors or non-2xx answers (zero allowed)`);
        if (next > pool.length) throw new Error(`enroll load ran out of distinct images (${pool.length})`);
      }
    }
    const c = (await api(base, `/api/collections/${collection.id}`)) as { identityCount: number; imageCount: number };
    return { rows, identities: c.identityCount, images: c.imageCount, buildSeconds, instances: servers.length };
  } finally {
    for (const { server, dataDir } of servers) {
      try {
        process.kill(-server.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      if (server.exitCode === null && server.signalCode === null) await new Promise((r) => server.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}
