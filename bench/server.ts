/**
 * The benchmarks' server: `npm start`'s server (dist/start.mjs, tests/helpers/start.ts) on a free
 * loopback port with SQLite on a fresh DATA_DIR, an admin API key, and helpers to call its API
 * (JSON, multipart bodies, collection import from a zip).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { freePort, spawnStart } from '../tests/helpers/start';

/** The admin API key the benchmarks' server accepts. */
export const KEY = 'bench-admin-api-key-0123456789';
/** The multipart boundary of `multipart` bodies. */
export const BOUNDARY = '----fewshot-bench-boundary';

/** A started server: its base URL; `failures()` the paths of the requests it answered 500 so far, in order; `stop` ends it and removes its data. */
export interface BenchServer {
  base: string;
  failures: () => readonly string[];
  stop: () => Promise<void>;
}

/** A multipart body with one file field (`content-type: multipart/form-data; boundary=BOUNDARY`). */
export function multipart(field: string, name: string, bytes: Uint8Array, type = 'image/png'): Buffer {
  return Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`),
    Buffer.from(bytes),
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

/** Starts the server with `extraEnv` on top of this process's environment and waits for its health check. */
export async function startBenchServer(extraEnv: Record<string, string> = {}): Promise<BenchServer> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fewshot-bench-'));
  const server = spawnStart({ ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, API_KEY: KEY, MAX_UPLOAD_BYTES: String(64 * 1024 * 1024), ...extraEnv }, ['ignore', 'ignore', 'pipe']);
  // The server's stderr passes through; each 500 it logs (lib/http/route.ts: `[http] <id> <method> <path> failed:`)
  // is kept by path, so a request that fails after the client stopped waiting for it is still seen.
  const failures: string[] = [];
  let partial = ''; // a line split across chunks
  server.stderr!.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const failed = /^\[http\] \S+ [A-Z]+ (\S+) failed:/.exec(line);
      if (failed) failures.push(failed[1]);
    }
  });
  const stop = async (): Promise<void> => {
    try {
      process.kill(-server.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    if (server.exitCode === null && server.signalCode === null) await new Promise((r) => server.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  };
  const started = Date.now();
  for (;;) {
    const ok = await fetch(`${base}/api/health`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() - started > 600_000) {
      await stop();
      throw new Error('the server did not become ready in 10 minutes');
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { base, failures: () => failures, stop };
}

/** Calls the API with the admin key; a non-2xx answer throws with its body. */
export async function api(base: string, route: string, init: { method?: string; json?: unknown } = {}): Promise<unknown> {
  const headers: Record<string, string> = { 'x-api-key': KEY };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${route}`, { method: init.method ?? 'GET', headers, body: init.json !== undefined ? JSON.stringify(init.json) : undefined });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${route}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** Imports `files` (zip paths `<identity>/<file>`) into a collection, 1,000 per archive (one import answers before fetch's 300 s header timeout on a loaded machine). */
export async function importFiles(base: string, collectionId: string, files: [string, Uint8Array][]): Promise<void> {
  for (let start = 0; start < files.length; start += 1000) {
    const zip = zipSync(Object.fromEntries(files.slice(start, start + 1000)));
    const form = new FormData();
    form.append('archive', new Blob([new Uint8Array(zip)]), 'part.zip');
    const res = await fetch(`${base}/api/collections/${collectionId}/import`, { method: 'POST', headers: { 'x-api-key': KEY }, body: form });
    if (!res.ok) throw new Error(`import: ${res.status} ${(await res.text()).slice(0, 300)}`);
  }
}
