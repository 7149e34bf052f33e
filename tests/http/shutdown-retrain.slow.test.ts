// Issue 17, item 3: SIGTERM to the `npm start` server while a retraining job runs in its child
// process. The server must stop that child before it exits (Next compiles instrumentation.ts as a
// separate module graph, so a shutdown that reads a module-level child map may see none), and the
// job's row must not stay `running`. The signal goes to the server process only, not its group:
// the point is whether the server itself stops its child.
import { readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '@/lib/db/client';
import { form, omniglot } from './images';
import { callWithKey, childrenOf, freePort, killGroup, prepareServer, startServer, type Cleanup } from './server';

const KEY = 'shutdown-retrain-admin-key-0123456789';
const READY_TIMEOUT_MS = 420_000; // the first start may run `next build` (minutes on a busy 2-core box)
const CHILD_TIMEOUT_MS = 120_000;
const EXIT_TIMEOUT_MS = 30_000;
const cleanup: Cleanup = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

/** True while a process `pid` exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Polls `check` until it returns a value other than undefined; throws after `timeoutMs`. */
async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('SIGTERM during a retrain', () => {
  it('stops the retraining child before the server exits and records the job as interrupted', async () => {
    const { env, db } = await prepareServer(KEY, 'fewshot-shutdown-retrain-', cleanup);
    const server = await startServer(env, await freePort(), READY_TIMEOUT_MS);
    // The group outlives its leader while a member lives: this also reaps a child that outlived the server.
    cleanup.push(() => killGroup(server, 'SIGKILL'));
    const api = (method: string, route: string, body?: unknown) => callWithKey(KEY, server.base, method, route, body);

    // A gallery the retrain accepts: 14 Omniglot characters x 5 drawings (as tests/http/retrain.slow.test.ts).
    const c = await api('POST', '/api/collections', { name: 'shutdown-retrain', kind: 'object', domain: 'drawings' });
    expect(c.status).toBe(201);
    const byChar = new Map<string, Uint8Array[]>();
    for (const e of omniglot(['Korean'])) byChar.set(e.character, [...(byChar.get(e.character) ?? []), e.bytes]);
    const chars = [...byChar.entries()].slice(0, 14);
    const zip = zipSync(Object.fromEntries(chars.flatMap(([name, drawings]) => drawings.slice(0, 5).map((b, i) => [`${name}/${i}.png`, b]))));
    const imported = await api('POST', `/api/collections/${c.json.id}/import`, form('archive', [{ name: 'g.zip', bytes: zip }]));
    expect(imported.json).toMatchObject({ enrolled: 70, rejected: [] });

    // Long enough that shutdown lands while it trains.
    const started = await api('POST', `/api/collections/${c.json.id}/retrain`, { epochs: 50, stepsPerEpoch: 50, maxMinutes: 3 });
    expect(started.status).toBe(201);
    const jobId: string = started.json.id;
    const serverPid = server.child.pid!;
    const childPid = await waitFor('the retraining child process', () => childrenOf(serverPid, 'dist/retrain-job.mjs')[0], CHILD_TIMEOUT_MS);
    // The child (the bundle: no TypeScript compiled at run time) trains: past spawning, it would run on.
    const training = async () => {
      const job = (await api('GET', `/api/jobs/${jobId}`)).json;
      return job.status === 'running' && job.progress?.phase === 'training' && job.progress.losses?.length > 0 ? true : undefined;
    };
    await waitFor('the job training', training, CHILD_TIMEOUT_MS);
    expect(alive(childPid)).toBe(true);

    process.kill(serverPid, 'SIGTERM'); // the server only, not its group
    const code = await server.exited;
    expect(code).toBe(0);
    const outlived = await waitFor('the child gone', () => (alive(childPid) ? undefined : false), EXIT_TIMEOUT_MS).catch(() => true);
    expect(outlived, `retraining child ${childPid} outlived the server's shutdown`).toBe(false);

    const client = openDb(db.target);
    try {
      const job = await client.job.findUniqueOrThrow({ where: { id: jobId } });
      expect(job.status).toBe('interrupted');
      expect(job.error).toMatch(/stopped while the job ran/);
    } finally {
      await client.$disconnect();
    }
  }, 900_000);
});
