// `npm start` compiles no TypeScript at run time (issue 17, item 5): the server is the bundle
// dist/start.mjs, and after the embedding worker has worked (an enrolment and a search), no process
// of the server's process group runs tsx or esbuild (tsx's loader starts esbuild's service process
// the first time it compiles, in the server or its worker thread). The retraining child is checked
// the same way in shutdown-retrain.slow.test.ts, which waits for dist/retrain-job.mjs by name.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { omniglot } from './images';
import { callWithKey, commandLine, freePort, killGroup, prepareServer, startServer, type Cleanup, type Server } from './server';

const KEY = 'no-runtime-ts-admin-key-0123456789';
const READY_TIMEOUT_MS = 420_000; // the first start may run the build (minutes on a busy 2-core box)
const cleanup: Cleanup = [];
let server: Server;

/** Command lines of every process in the server's process group (its pgid is its pid: it was spawned detached). */
function groupCommandLines(): string[] {
  const rows = execFileSync('ps', ['-e', '-o', 'pgid=,args='], { encoding: 'utf8' }).split('\n');
  return rows.map((r) => r.trim().match(/^(\d+)\s+(.*)$/)).filter((m) => m !== null && Number(m[1]) === server.child.pid).map((m) => m![2]);
}

beforeAll(async () => {
  const { env } = await prepareServer(KEY, 'fewshot-no-ts-', cleanup);
  server = await startServer(env, await freePort(), READY_TIMEOUT_MS);
  cleanup.push(() => killGroup(server, 'SIGKILL'));
}, READY_TIMEOUT_MS + 10_000);

afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

describe('npm start', () => {
  it('serves from the bundle: the server process is node dist/start.mjs', () => {
    expect(commandLine(server.child.pid!)).toMatch(/^\S*node dist\/start\.mjs$/);
  });

  it('embeds in a worker that runs no TypeScript loader: no tsx or esbuild in the process group', async () => {
    const api = (method: string, route: string, body?: unknown) => callWithKey(KEY, server.base, method, route, body);
    const c = await api('POST', '/api/collections', { name: 'bundled', kind: 'object', domain: 'drawings' });
    const identity = await api('POST', `/api/collections/${c.json.id}/identities`, { name: 'alpha' });
    const [drawing] = omniglot(['Latin']);
    const image = Buffer.from(drawing.bytes).toString('base64');
    const enrolled = await api('POST', `/api/identities/${identity.json.id}/images`, { imagesBase64: [image] });
    const searched = await api('POST', `/api/collections/${c.json.id}/search`, { imageBase64: image });
    expect([c.status, identity.status, enrolled.status, searched.status]).toEqual([201, 201, 201, 200]);
    expect(searched.json.results[0].neighbours[0]).toMatchObject({ identityId: identity.json.id, distance: expect.any(Number) });

    const lines = groupCommandLines();
    expect(lines).toContain(commandLine(server.child.pid!));
    expect(lines.filter((l) => /tsx|esbuild/.test(l))).toEqual([]);
  }, 120_000);
});
