// Every admin operation of the OpenAPI document refuses a user key (403 forbidden) and a request
// without credentials (401 not_authenticated). The list comes from the document itself
// (`x-required-role: admin`), and each operation's handler from its route file, so an operation
// added later is covered without editing this test. (The pages: tests/e2e/admin-pages.spec.ts.)
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, openApiClient, type Handler } from './client';
import { ENV_API_KEY, startHttpHarness, type HttpHarness } from './harness';

const API = path.resolve(import.meta.dirname, '../../app');
let h: HttpHarness;
let api: ApiClient;
let userKey: string;
type Op = { method: string; template: string };
let adminOps: Op[] = [];

beforeAll(async () => {
  h = await startHttpHarness();
  api = await openApiClient(h.routes.openapi);
  const doc = (await (await h.routes.openapi.GET(new Request('http://localhost/api/openapi.json'), { params: Promise.resolve({}) })).json()) as {
    paths: Record<string, Record<string, { 'x-required-role'?: string }>>;
  };
  adminOps = Object.entries(doc.paths).flatMap(([template, ops]) =>
    Object.entries(ops).filter(([, op]) => op['x-required-role'] === 'admin').map(([method]) => ({ method: method.toUpperCase(), template })),
  );
  const key = await api.call(h.routes.keys.POST, 'POST /api/keys', { headers: { 'x-api-key': ENV_API_KEY }, json: { name: 'user', role: 'user' } });
  userKey = key.body.key;
});

afterAll(async () => {
  await h?.stop();
});

/** The handler of `METHOD /api/...{param}...` from `app/api/.../[param]/.../route.ts`. */
async function handlerOf(op: Op): Promise<Handler> {
  const file = path.join(API, ...op.template.split('/').filter(Boolean).map((s) => s.replace(/^\{(\w+)\}$/, '[$1]')), 'route.ts');
  const mod = (await import(file)) as Record<string, Handler>;
  return mod[op.method];
}

describe('admin operations', () => {
  it('are listed in the document (more than a dozen, retraining included)', () => {
    expect(adminOps.length).toBeGreaterThan(12);
    expect(adminOps).toEqual(expect.arrayContaining([{ method: 'POST', template: '/api/collections/{id}/retrain' }, { method: 'POST', template: '/api/collections/{id}/promote' }]));
  });

  it('refuse a user key (403) and no credentials (401), whatever the body', async () => {
    for (const op of adminOps) {
      const handler = await handlerOf(op);
      const params = Object.fromEntries([...op.template.matchAll(/\{(\w+)\}/g)].map((m) => [m[1], `no-such-${m[1]}`]));
      const json = op.method === 'GET' || op.method === 'DELETE' ? undefined : {};
      const route = `${op.method} ${op.template}`;
      const asUser = await api.call(handler, route, { headers: { 'x-api-key': userKey }, params, json });
      expect({ route, status: asUser.status, code: asUser.body?.code }).toEqual({ route, status: 403, code: 'forbidden' });
      const anonymous = await api.call(handler, route, { params, json });
      expect({ route, status: anonymous.status, code: anonymous.body?.code }).toEqual({ route, status: 401, code: 'not_authenticated' });
    }
  });
});
