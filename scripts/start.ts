// `npm start` runs this script's bundle, dist/start.mjs, once scripts/build.mjs has built (when the
// build was missing or stale), and this process serves on PORT/HOST; the embedding worker and the
// retraining children it starts are bundles too (lib/config/entry-points.ts), so no TypeScript is
// compiled at run time. The listener answers 503 while Next prepares; /api/health then reports readiness.
// SIGTERM/SIGINT stop accepting, drain in-flight requests, flush the runtime, and exit.
// Everything the service writes under DATA_DIR is the owner's alone: the process umask is 077 from
// the start (blobs, indexes, the SQLite file, retrained models, in this process, its worker
// threads and its retraining child processes alike), and DATA_DIR itself is made 0700.
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import next from 'next';
import { resolveClient } from '@/lib/auth/client-address';
import { preferBundlesIn } from '@/lib/config/entry-points';
import { env } from '@/lib/config/env';
import { PROCESS_STATE_KEY } from '@/lib/matching/process-key';
import type { ProcessState } from '@/lib/matching/process-state';

// dist/start.mjs (the bundle `npm start` runs) or scripts/start.ts: the repository is one folder up.
const root = path.resolve(import.meta.dirname, '..');
const DRAIN_TIMEOUT_MS = 15_000;

/** An RFC 9457 answer from this listener, for what never reaches Next (starting, malformed URLs). */
function problem(res: http.ServerResponse, status: number, code: string, title: string, detail: string): void {
  const instance = randomUUID();
  const retry = status === 503 ? { 'retry-after': '5' } : {}; // as every 503 of the API (lib/http/problem.ts)
  res.writeHead(status, { 'content-type': 'application/problem+json', 'cache-control': 'no-store', 'x-request-id': instance, ...retry });
  res.end(JSON.stringify({ type: `/problems/${code}`, title, status, detail, instance, code }));
}

/** True when the path's percent-encoding decodes; Next answers a plain-text 500 to one that does not (issue 16). */
function decodablePath(url: string): boolean {
  try {
    decodeURIComponent(url.split('?')[0]);
    return true;
  } catch {
    return false;
  }
}

/** Owner-only DATA_DIR: directories 0700, files 0600 (umask 077) from here on. */
function restrictDataDir(): void {
  process.umask(0o077);
  mkdirSync(env.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(env.dataDir, 0o700);
}

async function main(): Promise<void> {
  preferBundlesIn(import.meta.dirname);
  restrictDataDir();
  const app = next({ dev: false, dir: root, hostname: env.HOST, port: env.PORT });
  let handle: ReturnType<typeof app.getRequestHandler> | null = null;
  const server = http.createServer((req, res) => {
    if (!decodablePath(req.url ?? '/')) return problem(res, 400, 'malformed_url', 'Malformed URL', 'the URL path holds a malformed percent-encoding (a % not followed by the bytes of a UTF-8 character)');
    if (!handle) return problem(res, 503, 'starting', 'Service starting', 'the server is starting; retry shortly');
    // The handlers see headers only: hand them the resolved client, never what a client claimed.
    const sources = { socketAddress: req.socket.remoteAddress, encrypted: 'encrypted' in req.socket, forwardedFor: req.headers['x-forwarded-for'], forwardedProto: req.headers['x-forwarded-proto'] };
    const client = resolveClient(sources, env.TRUST_PROXY_HOPS);
    req.headers['x-forwarded-for'] = client.address;
    req.headers['x-forwarded-proto'] = client.proto;
    void handle(req, res);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.PORT, env.HOST, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  console.info(`[start] listening on http://${env.HOST}:${port} (pid ${process.pid})`);
  await app.prepare();
  handle = app.getRequestHandler();

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.info(`[start] ${signal}: draining requests`);
    const force = setTimeout(() => process.exit(1), DRAIN_TIMEOUT_MS);
    force.unref();
    server.close(async () => {
      // The process state Next's instrumentation and route bundles created (one globalThis key for all module graphs).
      const state = (globalThis as { [PROCESS_STATE_KEY]?: ProcessState })[PROCESS_STATE_KEY];
      await state?.stop().catch((err: unknown) => console.error('[start] flush failed:', err));
      await app.close().catch(() => undefined);
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('[start]', err instanceof Error ? err.message : err);
  process.exit(1);
});
