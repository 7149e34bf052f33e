// Starts the server exactly as `npm start` does, without npm in between: package.json's start
// command under sh (build when stale, then `exec node dist/start.mjs`), so the spawned pid becomes
// the server's once built. Its own process group: one signal reaches the build and the server.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '../..');
const START = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;

/** Spawns `npm start`'s command in the repository with `env` (the whole environment), detached. */
export function spawnStart(env: NodeJS.ProcessEnv, stdio: StdioOptions): ChildProcess {
  return spawn('sh', ['-c', START], { cwd: REPO, env, detached: true, stdio });
}

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
