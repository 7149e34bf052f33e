// Issue 16, sections 3 and 4, through the real route handlers (every reply validated against the
// OpenAPI document): wrong passwords from one address end in 429 with Retry-After and are audited;
// unsafe requests authenticated by the session cookie must come from the service's own origin
// (http://localhost here), while API keys work from anywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, expectProblem, openApiClient } from './client';
import { ADMIN_PASSWORD, ENV_API_KEY, startHttpHarness, type HttpHarness } from './harness';
import { form, omniglot } from './images';

let h: HttpHarness;
let api: ApiClient;
const admin = { 'x-api-key': ENV_API_KEY };
let cookie: string;
let identityId: string;
const drawing = omniglot(['Latin'])[0].bytes;

beforeAll(async () => {
  h = await startHttpHarness();
  api = await openApiClient(h.routes.openapi);
  const signedIn = await api.call(h.routes.session.POST, 'POST /api/session', { json: { password: ADMIN_PASSWORD } });
  expect(signedIn.status).toBe(201);
  cookie = signedIn.headers.get('set-cookie')!.split(';')[0];
  const c = await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name: 'guards', kind: 'object', domain: 'drawings' } });
  const who = await api.call(h.routes.identities.POST, 'POST /api/collections/{id}/identities', { headers: admin, params: { id: c.body.id }, json: { name: 'a' } });
  expect(who.status).toBe(201);
  identityId = who.body.id;
});

afterAll(async () => {
  await h?.stop();
});

async function newKeyId(): Promise<string> {
  const r = await api.call(h.routes.keys.POST, 'POST /api/keys', { headers: admin, json: { name: 'victim', role: 'user' } });
  expect(r.status).toBe(201);
  return r.body.id as string;
}

async function imageCount(): Promise<number> {
  return h.svc.getRuntime().db.image.count({ where: { identityId } });
}

/** The three writes issue 16 saw succeed cross-origin, with extra request headers. */
const WRITES = {
  'create a collection': (headers: Record<string, string>) =>
    api.call(h.routes.collections.POST, 'POST /api/collections', { headers, json: { name: `c-${Math.random()}`, kind: 'object', domain: 'drawings' } }),
  'revoke a key': async (headers: Record<string, string>) => api.call(h.routes.key.DELETE, 'DELETE /api/keys/{id}', { headers, params: { id: await newKeyId() } }),
  'enroll an image': (headers: Record<string, string>) =>
    api.call(h.routes.images.POST, 'POST /api/identities/{id}/images', { headers, params: { id: identityId }, form: form('images', [{ name: 'a.png', bytes: drawing, type: 'image/png' }]) }),
};
type Write = keyof typeof WRITES;
const FOREIGN: { name: string; headers: Record<string, string>; detail: RegExp }[] = [
  { name: 'Origin https://evil.example', headers: { origin: 'https://evil.example' }, detail: /must come from http:\/\/localhost, got Origin https:\/\/evil\.example/ },
  { name: 'Origin null', headers: { origin: 'null' }, detail: /got Origin null/ },
  { name: 'Sec-Fetch-Site cross-site', headers: { 'sec-fetch-site': 'cross-site' }, detail: /got Sec-Fetch-Site cross-site/ },
  { name: 'Sec-Fetch-Site same-site (a sibling subdomain)', headers: { 'sec-fetch-site': 'same-site' }, detail: /got Sec-Fetch-Site same-site/ },
  { name: 'another port of the same host', headers: { origin: 'http://localhost:8080' }, detail: /got Origin http:\/\/localhost:8080/ },
];
const cases = (Object.keys(WRITES) as Write[]).flatMap((write) => FOREIGN.map((f) => ({ write, ...f })));

describe('cookie-authenticated writes from another origin', () => {
  it.each(cases)('$write with $name -> 403 cross_origin, nothing changed', async ({ write, headers, detail }) => {
    const collections = await h.svc.getRuntime().db.collection.count();
    const keys = await h.svc.getRuntime().db.apiKey.count({ where: { revokedAt: null } });
    const images = await imageCount();
    const r = await WRITES[write]({ cookie, ...headers });
    expect(r.status).toBe(403);
    expectProblem(r, 403, 'cross_origin', detail);
    expect(await h.svc.getRuntime().db.collection.count()).toBe(collections);
    // `revoke a key` creates its victim key with the API key first: one more live key, none revoked.
    expect(await h.svc.getRuntime().db.apiKey.count({ where: { revokedAt: null } })).toBe(keys + (write === 'revoke a key' ? 1 : 0));
    expect(await imageCount()).toBe(images);
  });

  it('signing out from another origin is refused too (the session stays)', async () => {
    const r = await api.call(h.routes.session.DELETE, 'DELETE /api/session', { headers: { cookie, origin: 'https://evil.example' } });
    expectProblem(r, 403, 'cross_origin', /DELETE with the session cookie/);
    expect((await api.call(h.routes.keys.GET, 'GET /api/keys', { headers: { cookie } })).status).toBe(200);
  });

  it.each<{ name: string; headers: Record<string, string> }>([
    { name: 'the own Origin', headers: { origin: 'http://localhost' } },
    { name: 'Sec-Fetch-Site same-origin', headers: { 'sec-fetch-site': 'same-origin' } },
    { name: 'no Origin nor Sec-Fetch-Site (not a browser)', headers: {} },
  ])('$name is let through', async ({ headers }) => {
    const expected = { 'create a collection': 201, 'revoke a key': 204, 'enroll an image': 201 };
    const got = {} as Record<Write, number>;
    for (const write of Object.keys(WRITES) as Write[]) got[write] = (await WRITES[write]({ cookie, ...headers })).status;
    expect(got).toEqual(expected);
  });

  it('reads with the cookie are not checked (GET from another origin)', async () => {
    const r = await api.call(h.routes.collections.GET, 'GET /api/collections', { headers: { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } });
    expect(r.status).toBe(200);
  });

  it.each(FOREIGN)('an API key with $name is unaffected', async ({ headers }) => {
    const got = {} as Record<Write, number>;
    for (const write of Object.keys(WRITES) as Write[]) got[write] = (await WRITES[write]({ ...admin, ...headers })).status;
    expect(got).toEqual({ 'create a collection': 201, 'revoke a key': 204, 'enroll an image': 201 });
  });

  it('an API key wins over a cookie sent along from another origin', async () => {
    const r = await WRITES['create a collection']({ ...admin, cookie, origin: 'https://evil.example' });
    expect(r.status).toBe(201);
  });
});

describe('failed sign-ins', () => {
  const address = '203.0.113.7';
  const signIn = (password: string, from = address) =>
    api.call(h.routes.session.POST, 'POST /api/session', { headers: { 'x-forwarded-for': from }, json: { password } });

  it('are audited, and from the 6th on the address gets 429 with Retry-After before the password is checked', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await signIn(`wrong ${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const throttled = await signIn(ADMIN_PASSWORD);
    expectProblem(throttled, 429, 'too_many_attempts', 'too many wrong passwords from this address; retry in 1 s');
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(throttled.headers.get('set-cookie')).toBeNull();
    // Another address is not throttled by this one's failures.
    expect((await signIn(ADMIN_PASSWORD, '198.51.100.1')).status).toBe(201);

    const audit = await api.call(h.routes.audit.GET, 'GET /api/audit', { headers: admin, query: { action: 'session.fail', limit: 100 } });
    const mine = audit.body.items.filter((e: { details: { address: string } }) => e.details.address === address);
    expect(mine.map((e: { actor: string; details: { addressFailures: number; addressWaitSeconds: number } }) => [e.actor, e.details.addressFailures, e.details.addressWaitSeconds])).toEqual([
      ['anonymous', 5, 1],
      ['anonymous', 4, 0],
      ['anonymous', 3, 0],
      ['anonymous', 2, 0],
      ['anonymous', 1, 0],
    ]);
  });
});
