// Defects of issue 16 (section 6) that only the real `npm start` server shows (scripts/start.ts in
// front of Next's handler), checked on one server to pay for one Next build: a malformed
// percent-encoding answers 400 problem+json (Next alone answers a plain-text 500), pages of records
// that do not exist answer 404, the keys page lists the role table, /docs knows the session, /favicon.ico exists, and everything the
// service writes under DATA_DIR is owner-only (dirs 0700, files 0600; on SQLite the database file
// in DATA_DIR included).
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summariesWith, type Access } from '@/lib/auth/roles';
import { suiteProvider } from '../helpers/db';
import { omniglot } from './images';
import { callWithKey, freePort, killGroup, prepareServer, startServer, type Cleanup, type Server } from './server';

const KEY = 'real-server-admin-key-0123456789';
const PASSWORD = 'real server admin password';
const READY_TIMEOUT_MS = 420_000; // the first start may run `next build` (minutes on a busy 2-core box)
const cleanup: Cleanup = [];
let server: Server;
let dataDir: string;
let collectionId: string;
let identityId: string;

const api = (method: string, route: string, body?: unknown) => callWithKey(KEY, server.base, method, route, body);
const get = (route: string, headers: Record<string, string> = {}) => fetch(`${server.base}${route}`, { headers, redirect: 'manual' });

/** Every path under `root` with its permission bits, e.g. `blobs/ab: dir 700`. */
function modes(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = statSync(p);
      out.push(`${path.relative(root, p)}: ${st.isDirectory() ? 'dir' : 'file'} ${(st.mode & 0o777).toString(8)}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

beforeAll(async () => {
  const setup = await prepareServer(KEY, 'fewshot-real-', cleanup);
  dataDir = setup.dataDir;
  chmodSync(dataDir, 0o755); // as an older version left it: start must close it
  // On SQLite the server keeps its database in DATA_DIR (the default), so its mode is checked too.
  const { DATABASE_URL, ...rest } = setup.env;
  const env = { ...(suiteProvider() === 'sqlite' ? rest : { ...rest, DATABASE_URL }), ADMIN_PASSWORD: PASSWORD };
  server = await startServer(env, await freePort(), READY_TIMEOUT_MS);
  cleanup.push(() => killGroup(server, 'SIGKILL'));
  const c = await api('POST', '/api/collections', { name: 'real', kind: 'object', domain: 'drawings' });
  collectionId = c.json.id;
  identityId = (await api('POST', `/api/collections/${collectionId}/identities`, { name: 'alpha' })).json.id;
  const [drawing] = omniglot(['Latin']);
  const enrolled = await api('POST', `/api/identities/${identityId}/images`, { imagesBase64: [Buffer.from(drawing.bytes).toString('base64')] });
  const searched = await api('POST', `/api/collections/${collectionId}/search`, { imageBase64: Buffer.from(drawing.bytes).toString('base64') });
  expect([c.status, enrolled.status, searched.status]).toEqual([201, 201, 200]);
}, READY_TIMEOUT_MS + 60_000);

afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

describe('a malformed percent-encoding', () => {
  it.each(['/api/collections/%E0%A4%A', '/collections/%E0%A4%A', '/api/identities/%ZZ', '/%'])('answers 400 problem+json for %s', async (route) => {
    const res = await get(route, { 'x-api-key': KEY });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toEqual({
      type: '/problems/malformed_url',
      title: 'Malformed URL',
      status: 400,
      detail: 'the URL path holds a malformed percent-encoding (a % not followed by the bytes of a UTF-8 character)',
      instance: res.headers.get('x-request-id'),
      code: 'malformed_url',
    });
  });

  it('leaves a well-formed encoding to the routes (404 collection_not_found)', async () => {
    const res = await get('/api/collections/%E0%A4%A4', { 'x-api-key': KEY });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('collection_not_found');
  });
});

describe('pages', () => {
  it.each(['/collections/no-such-id', '/collections/no-such-id/models', '/collections/no-such-id/calibration', '/identities/no-such-id', '/models/no-such-version'])(
    '%s answers 404 with the not-found page',
    async (route) => {
      const res = await get(route, { 'x-api-key': KEY });
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('That page or record does not exist');
    },
  );

  it('pages of records that exist answer 200', async () => {
    for (const route of [`/collections/${collectionId}`, `/identities/${identityId}`]) expect({ route, status: (await get(route, { 'x-api-key': KEY })).status }).toEqual({ route, status: 200 });
  });

  it('the keys page lists what each role may do, from the role table', async () => {
    const html = await (await get('/keys', { 'x-api-key': KEY })).text();
    const group = html.match(/<div[^>]*aria-label="What each role may do"[^>]*>([\s\S]*?)<\/div><\/div>/)![1];
    const text = (s: string) => s.replace(/<[^>]+>/g, '').replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    const columns = [...group.matchAll(/<h2[^>]*>([\s\S]*?)<\/h2><ul[^>]*>([\s\S]*?)<\/ul>/g)].map((m) => ({
      title: text(m[1]),
      items: [...m[2].matchAll(/<li>([\s\S]*?)<\/li>/g)].map((li) => text(li[1])),
    }));
    const expected = (['any', 'admin', 'none'] as Access[]).map((a) => summariesWith(a));
    expect(columns.map((c) => c.items)).toEqual(expected);
    expect(columns[0].items).toEqual(expect.arrayContaining(['Enroll images', 'Search a collection with an image']));
    expect(columns[1].items).toEqual(expect.arrayContaining(['Delete an identity', 'Import a zip archive']));
  });

  it('/docs shows "Sign out" to the signed-in admin and "Sign in" to anyone else', async () => {
    const session = await fetch(`${server.base}/api/session`, {
      method: 'POST', headers: { 'content-type': 'application/json', origin: server.base }, body: JSON.stringify({ password: PASSWORD }),
    });
    expect(session.status).toBe(201);
    const cookie = session.headers.get('set-cookie')!.split(';')[0];
    const header = (html: string) => {
      const nav = html.match(/<nav[^>]*aria-label="Main"[^>]*>([\s\S]*?)<\/nav>/)![1];
      return { signOut: nav.includes('>Sign out<'), signIn: nav.includes('>Sign in<') };
    };
    expect(header(await (await get('/docs', { cookie })).text())).toEqual({ signOut: true, signIn: false });
    expect(header(await (await get('/docs')).text())).toEqual({ signOut: false, signIn: true });
  });

  it('/favicon.ico is the app icon', async () => {
    const res = await get('/favicon.ico');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/x-icon');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(readFileSync(path.resolve(import.meta.dirname, '../../app/favicon.ico'))));
  });
});

describe('DATA_DIR', () => {
  it('holds only owner-only directories (0700) and files (0600) after enrol, search and a graceful stop', async () => {
    killGroup(server, 'SIGTERM'); // flushes the indexes
    expect(await server.exited).toBe(0);
    const all = modes(dataDir);
    console.log(`DATA_DIR after the run (${suiteProvider()}):\n${all.join('\n')}`);
    // Image bytes are files under blobs/ with SQLite (the fs store) and database rows with PostgreSQL.
    expect(all.some((l) => l.startsWith('blobs/'))).toBe(suiteProvider() === 'sqlite');
    expect(all.some((l) => l.startsWith('indexes/'))).toBe(true);
    if (suiteProvider() === 'sqlite') expect(all).toContain('fewshot.db: file 600');
    expect((statSync(dataDir).mode & 0o777).toString(8)).toBe('700');
    expect(all.filter((l) => !/: (dir 700|file 600)$/.test(l))).toEqual([]);
  });
});
