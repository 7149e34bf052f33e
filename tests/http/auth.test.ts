// Auth through the real routes: no key 401, bad/revoked key 401, user key on an admin route 403,
// scoped key on another collection 403, the session cookie, a bad password 401. Every response is
// validated against /api/openapi.json by the client.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, expectProblem, openApiClient } from './client';
import { ADMIN_PASSWORD, ENV_API_KEY, startHttpHarness, type HttpHarness } from './harness';

let h: HttpHarness;
let api: ApiClient;
const admin = { 'x-api-key': ENV_API_KEY };
let userKey: string;
let scopedKey: string;
let revokedKey: string;
let collA: string;
let collB: string;

async function newKey(role: 'admin' | 'user', collectionId?: string): Promise<string> {
  const r = await api.call(h.routes.keys.POST, 'POST /api/keys', { headers: admin, json: { name: `${role} key`, role, collectionId } });
  expect(r.status).toBe(201);
  return r.body.key as string;
}

beforeAll(async () => {
  h = await startHttpHarness();
  api = await openApiClient(h.routes.openapi);
  for (const name of ['auth-a', 'auth-b']) {
    const r = await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name, kind: 'object', domain: 'drawings' } });
    expect(r.status).toBe(201);
    if (name === 'auth-a') collA = r.body.id;
    else collB = r.body.id;
  }
  userKey = await newKey('user');
  scopedKey = await newKey('user', collA);
  revokedKey = await newKey('user');
  const listed = await api.call(h.routes.keys.GET, 'GET /api/keys', { headers: admin });
  const revokedId = listed.body.items.find((k: { prefix: string }) => revokedKey.startsWith(k.prefix)).id;
  expect((await api.call(h.routes.key.DELETE, 'DELETE /api/keys/{id}', { headers: admin, params: { id: revokedId } })).status).toBe(204);
});

afterAll(async () => {
  await h?.stop();
});

describe('authenticate', () => {
  it.each([
    { name: 'no credentials', headers: (): Record<string, string> => ({}), detail: /send an x-api-key header/ },
    { name: 'unknown key', headers: () => ({ 'x-api-key': 'fsk_not-a-key' }), detail: /matches no live API key/ },
    { name: 'revoked key', headers: () => ({ 'x-api-key': revokedKey }), detail: /matches no live API key/ },
    { name: 'unknown session cookie', headers: () => ({ cookie: 'fewshot_session=forged' }), detail: /session has expired/ },
  ])('$name -> 401 not_authenticated', async ({ headers, detail }) => {
    const r = await api.call(h.routes.collections.GET, 'GET /api/collections', { headers: headers() });
    expect(r.status).toBe(401);
    expectProblem(r, 401, 'not_authenticated', detail);
  });

  it.each([
    { name: 'list keys', call: () => api.call(h.routes.keys.GET, 'GET /api/keys', { headers: { 'x-api-key': userKey } }) },
    { name: 'read the audit log', call: () => api.call(h.routes.audit.GET, 'GET /api/audit', { headers: { 'x-api-key': userKey } }) },
    {
      name: 'create a collection',
      call: () => api.call(h.routes.collections.POST, 'POST /api/collections', { headers: { 'x-api-key': userKey }, json: { name: 'nope', kind: 'object', domain: 'drawings' } }),
    },
  ])('user key may not $name -> 403 forbidden', async ({ call }) => {
    const r = await call();
    expect(r.status).toBe(403);
    expectProblem(r, 403, 'forbidden', /admin/);
  });

  it('a scoped key reaches its collection and is 403 on another', async () => {
    const own = await api.call(h.routes.collection.GET, 'GET /api/collections/{id}', { headers: { 'x-api-key': scopedKey }, params: { id: collA } });
    expect(own.status).toBe(200);
    expect(own.body.id).toBe(collA);
    const other = await api.call(h.routes.collection.GET, 'GET /api/collections/{id}', { headers: { 'x-api-key': scopedKey }, params: { id: collB } });
    expect(other.status).toBe(403);
    expectProblem(other, 403, 'forbidden', new RegExp(`scoped to collection ${collA}`));
    const identity = await api.call(h.routes.identities.POST, 'POST /api/collections/{id}/identities', {
      headers: { 'x-api-key': scopedKey }, params: { id: collB }, json: { name: 'x' },
    });
    expect(identity.status).toBe(403);
    const list = await api.call(h.routes.collections.GET, 'GET /api/collections', { headers: { 'x-api-key': scopedKey } });
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([collA]);
  });

  it('an unscoped user key reads every collection', async () => {
    const list = await api.call(h.routes.collections.GET, 'GET /api/collections', { headers: { 'x-api-key': userKey } });
    expect(list.status).toBe(200);
    expect(list.body.items.map((c: { id: string }) => c.id).sort()).toEqual([collA, collB].sort());
  });
});

describe('API keys', () => {
  it('are shown once and stored as SHA-256 with a prefix', async () => {
    const created = await api.call(h.routes.keys.POST, 'POST /api/keys', { headers: admin, json: { name: 'ci', role: 'admin' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'ci', role: 'admin', collectionId: null, revokedAt: null, key: expect.stringMatching(/^fsk_[\w-]{43}$/) });
    const row = await h.svc.getRuntime().db.apiKey.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(row.hash).toBe(createHash('sha256').update(created.body.key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(created.body.key);
    const listed = await api.call(h.routes.keys.GET, 'GET /api/keys', { headers: admin, query: { limit: 100 } });
    const item = listed.body.items.find((k: { id: string }) => k.id === created.body.id);
    expect(item).toEqual({ ...created.body, key: undefined, lastUsedAt: null });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
    expect((await api.call(h.routes.keys.GET, 'GET /api/keys', { headers: { 'x-api-key': created.body.key } })).status).toBe(200);
  });

  it('pages with limit and cursor', async () => {
    const first = await api.call(h.routes.keys.GET, 'GET /api/keys', { headers: admin, query: { limit: 2 } });
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await api.call(h.routes.keys.GET, 'GET /api/keys', { headers: admin, query: { limit: 2, cursor: first.body.nextCursor } });
    const ids = [...first.body.items, ...second.body.items].map((k: { id: string }) => k.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('scoping to a missing collection is 404', async () => {
    const r = await api.call(h.routes.keys.POST, 'POST /api/keys', { headers: admin, json: { name: 'x', role: 'user', collectionId: 'nope' } });
    expectProblem(r, 404, 'collection_not_found', 'no collection nope to scope the key to');
  });
});

describe('session', () => {
  it('a wrong password is 401 and sets no cookie', async () => {
    const r = await api.call(h.routes.session.POST, 'POST /api/session', { json: { password: 'wrong password' } });
    expect(r.status).toBe(401);
    expectProblem(r, 401, 'not_authenticated', 'wrong admin password');
    expect(r.headers.get('set-cookie')).toBeNull();
  });

  it('signs in with a HttpOnly SameSite=Strict cookie, works as admin, and signs out', async () => {
    const r = await api.call(h.routes.session.POST, 'POST /api/session', { json: { password: ADMIN_PASSWORD } });
    expect(r.status).toBe(201);
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^fewshot_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    const token = cookie.split(';')[0];
    expect((await api.call(h.routes.keys.GET, 'GET /api/keys', { headers: { cookie: token } })).status).toBe(200);
    const out = await api.call(h.routes.session.DELETE, 'DELETE /api/session', { headers: { cookie: token } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^fewshot_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0/);
    const after = await api.call(h.routes.keys.GET, 'GET /api/keys', { headers: { cookie: token } });
    expectProblem(after, 401, 'not_authenticated', /session has expired or was ended/);
  });

  it('marks the cookie Secure over https', async () => {
    const res = await h.routes.session.POST(
      new Request('https://fewshot.example/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: ADMIN_PASSWORD }) }),
      { params: Promise.resolve({}) },
    );
    expect(res.status).toBe(201);
    expect(res.headers.get('set-cookie')).toMatch(/; Secure$/);
  });

  it('stores the admin password only as a scrypt hash', async () => {
    const row = await h.svc.getRuntime().db.setting.findUniqueOrThrow({ where: { key: 'admin.passwordHash' } });
    expect(row.value).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    const all = await h.svc.getRuntime().db.setting.findMany();
    expect(JSON.stringify(all)).not.toContain(ADMIN_PASSWORD);
  });
});
