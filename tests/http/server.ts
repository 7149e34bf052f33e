// `npm start`'s server (scripts/start.ts, which builds the app when the build is stale) as a child
// process group on a free loopback port, for the crash test.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '../..');

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A running server process group. */
export interface Server {
  child: ChildProcess;
  base: string;
  /** Everything it printed so far. */
  log: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts `node --import tsx scripts/start.ts` (what `npm start` runs) in its own process group with
 * `env` and waits for /api/health 200. One process, no tsx CLI parent: that parent SIGKILLs its child
 * when the child does not acknowledge a relayed SIGTERM within 60 ms, which a busy server can miss.
 */
export async function startServer(env: Record<string, string>, port: number, timeoutMs: number): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: REPO,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
    detached: true, // its own process group, so one signal reaches tsx, node and any build
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
