// `npm start`'s server (scripts/start.ts, which builds the app when the build is stale) as a child
// process group on a free loopback port, for the crash tests: its environment (models, a test
// database, a DATA_DIR), start, kill, and calls with an API key.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect } from 'vitest';
import type { DbTarget } from '@/lib/db/client';
import { createTestDatabase, suiteProvider } from '../helpers/db';
import { freePort, spawnStart } from '../helpers/start';

export { freePort };
import { committedModelsDir, OMNIGLOT_ZIP } from '../service/harness';


/** A running server process group. */
export interface Server {
  child: ChildProcess;
  base: string;
  /** Everything it printed so far. */
  log: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts the server as `npm start` does (tests/helpers/start.ts: build when stale, then the bundled
 * server in this pid) in its own process group with `env`, and waits for /api/health 200. No npm
 * parent: signals go to the server itself.
 */
export async function startServer(env: Record<string, string>, port: number, timeoutMs: number): Promise<Server> {
  const child = spawnStart({ ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' }, ['ignore', 'pipe', 'pipe']);
  let output = '';
  child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const server: Server = { child, base: `http://127.0.0.1:${port}`, log: () => output, exited };
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (done) throw new Error(`server exited before it was ready:\n${output.slice(-4000)}`);
    const status = await fetch(`${server.base}/api/health`).then(
      async (r) => (r.headers.get('content-type')?.includes('json') ? ((await r.json()) as { status: string }).status : 'starting'),
      () => 'down',
    );
    if (status === 'ready') return server;
    if (status === 'failed') {
      killGroup(server, 'SIGKILL');
      throw new Error(`server failed to start:\n${output.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  killGroup(server, 'SIGKILL');
  throw new Error(`server not ready within ${timeoutMs} ms:\n${output.slice(-4000)}`);
}

/** Sends `signal` to the server's whole process group. */
export function killGroup(server: Server, signal: NodeJS.Signals): void {
  try {
    process.kill(-server.child.pid!, signal);
  } catch {
    // already gone
  }
}

/** Pids of `parent`'s child processes whose command line contains `needle` (read from /proc). */
export function childrenOf(parent: number, needle = ''): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ...", comm may hold spaces: split after the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && commandLine(Number(name)).includes(needle)) pids.push(Number(name));
    } catch {
      // the process ended while listed
    }
  }
  return pids;
}

/** A process's command line, its arguments joined by spaces. */
export function commandLine(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
}

/** Clean-up steps a test runs in `afterAll`, newest first. */
export type Cleanup = (() => Promise<void> | void)[];

/** What a server needs: the committed models (or fixture ones), a test database of the suite's provider, a DATA_DIR. */
export interface ServerSetup {
  /** The server's environment (DATA_DIR, MODELS_DIR, API_KEY, ML_BACKEND, DATABASE_URL). */
  env: Record<string, string>;
  db: { target: DbTarget };
  dataDir: string;
  modelsDir: string;
}

/** Prepares a server's environment with `apiKey` as its admin key; everything it creates goes on `cleanup`. */
export async function prepareServer(apiKey: string, dataDirPrefix: string, cleanup: Cleanup): Promise<ServerSetup> {
  let modelsDir = committedModelsDir();
  if (!modelsDir) {
    const { buildFixtureModels } = await import('../service/fixture-model');
    const built = await buildFixtureModels(OMNIGLOT_ZIP);
    cleanup.push(() => rmSync(built, { recursive: true, force: true }));
    modelsDir = built;
  }
  const db = await createTestDatabase(suiteProvider());
  cleanup.push(() => db.drop());
  const dataDir = mkdtempSync(path.join(tmpdir(), dataDirPrefix));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = {
    DATA_DIR: dataDir, MODELS_DIR: modelsDir, API_KEY: apiKey, ML_BACKEND: 'wasm',
    DATABASE_URL: db.target.provider === 'sqlite' ? `file:${db.target.url}` : db.target.url,
  };
  return { env, db, dataDir, modelsDir };
}

/** A reply of `callWithKey`: status and parsed JSON (null without a body). */
export interface KeyReply {
  status: number;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Calls `base + route` with `x-api-key: apiKey`; a FormData body goes as multipart, anything else as JSON. */
export async function callWithKey(apiKey: string, base: string, method: string, route: string, body?: unknown): Promise<KeyReply> {
  const init: RequestInit = { method, headers: { 'x-api-key': apiKey } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(`${base}${route}`, init);
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** A crash suite's state: its clean-up list and the server it may leave running. */
export interface CrashSuite {
  cleanup: Cleanup;
  /** The server started last; null once the test stopped it itself. */
  server: Server | null;
  /** `callWithKey` with the suite's key. */
  api(base: string, method: string, route: string, body?: unknown): Promise<KeyReply>;
}

/** Registers the suite's `afterAll` (SIGKILL a server still running, then the clean-up list, newest first). */
export function crashSuite(apiKey: string): CrashSuite {
  const suite: CrashSuite = { cleanup: [], server: null, api: (base, method, route, body) => callWithKey(apiKey, base, method, route, body) };
  afterAll(async () => {
    if (suite.server) killGroup(suite.server, 'SIGKILL');
    for (const fn of suite.cleanup.reverse()) await fn();
  });
  return suite;
}

/** Polls a job through `api` until `until` holds; fails on a job that ended without satisfying it, or on timeout. */
export async function pollJob(api: CrashSuite['api'], base: string, jobId: string, until: (job: any) => boolean, timeoutMs: number, intervalMs: number): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await api(base, 'GET', `/api/jobs/${jobId}`);
    expect(r.status).toBe(200);
    if (until(r.json)) return r.json;
    if (['succeeded', 'failed', 'cancelled'].includes(r.json.status)) throw new Error(`job ended before the condition held: ${JSON.stringify(r.json)}`);
    if (Date.now() > deadline) throw new Error(`job did not reach the condition within ${timeoutMs} ms: ${JSON.stringify(r.json)}`);
    await new Promise((res) => setTimeout(res, intervalMs));
  }
}
