// The role table test (issue 16, section 5): walks every operation of the role table
// (lib/auth/roles.ts) through its route handler with no credentials, an admin key, a user key
// and a key scoped to one collection, inside and outside that collection, and checks the answer
// against the table: 401 without credentials, 403 for a role the table does not grant or a
// collection outside the scope, and for a granted role the operation's success status. Operations
// a user may call get real resources and valid bodies, so the domain's own role and scope checks
// run too; admin operations get missing ids (an admin then sees 404 or 422, never 401/403). An
// operation added later without a row, or a row without a handler, fails the first test.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_TABLE, type Access, type OperationId } from '@/lib/auth/roles';
import { OMNIGLOT_SPLIT } from '@/lib/datasets/omniglot';
import { ApiClient, openApiClient, type CallInit, type Handler } from './client';
import { ENV_API_KEY, startHttpHarness, type HttpHarness } from './harness';
import { form, omniglot } from './images';

const API = path.resolve(import.meta.dirname, '../../app');
type Doc = { paths: Record<string, Record<string, { operationId: string; 'x-required-role'?: string; responses: Record<string, unknown> }>> };
interface Op { id: OperationId; method: string; template: string; access: Access; successStatus: number }
/** A collection with one identity holding one enrolled image. */
interface Target { collectionId: string; identityId: string; imageId: string; image: string }

let h: HttpHarness;
let api: ApiClient;
let ops: Op[] = [];
const targets: Record<'own' | 'other', Target> = {} as never;
const keys: Record<'admin' | 'user' | 'scoped', string> = { admin: ENV_API_KEY, user: '', scoped: '' };
let serial = 0;

/**
 * Valid requests for every operation a user key may call, against `t`; `scoped: false` marks the
 * ones that touch no collection (a scoped key may call them anywhere).
 */
const USER_REQUESTS: Partial<Record<OperationId, { init: (t: Target) => CallInit; scoped?: false }>> = {
  deleteSession: { init: () => ({}), scoped: false },
  listCollections: { init: () => ({}), scoped: false },
  getCollection: { init: (t) => ({ params: { id: t.collectionId } }) },
  createIdentity: { init: (t) => ({ params: { id: t.collectionId }, json: { name: `walk ${++serial}` } }) },
  listIdentities: { init: (t) => ({ params: { id: t.collectionId } }) },
  getIdentity: { init: (t) => ({ params: { id: t.identityId } }) },
  enrollImages: { init: (t) => ({ params: { id: t.identityId }, json: { imagesBase64: [t.image] } }) },
  listImages: { init: (t) => ({ params: { id: t.identityId } }) },
  getImageFile: { init: (t) => ({ params: { id: t.imageId } }) },
  renderImage: { init: (t) => ({ form: form('image', [{ name: 'q.png', bytes: Buffer.from(t.image, 'base64') }]) }), scoped: false },
  search: { init: (t) => ({ params: { id: t.collectionId }, json: { imageBase64: t.image } }) },
  verifyPair: { init: (t) => ({ params: { id: t.collectionId }, json: { aBase64: t.image, bBase64: t.image } }) },
  verifyIdentity: { init: (t) => ({ params: { id: t.identityId }, json: { imageBase64: t.image } }) },
};

/** Missing ids and an empty body: enough to show whether the caller got past the role check. */
function placeholderRequest(op: Op): CallInit {
  const params = Object.fromEntries([...op.template.matchAll(/\{(\w+)\}/g)].map((m) => [m[1], `no-such-${m[1]}`]));
  return { params, json: op.method === 'GET' || op.method === 'DELETE' ? undefined : {} };
}

/** The handler of `METHOD /api/...{param}...` from `app/api/.../[param]/.../route.ts`. */
async function handlerOf(op: Op): Promise<Handler> {
  const file = path.join(API, ...op.template.split('/').filter(Boolean).map((s) => s.replace(/^\{(\w+)\}$/, '[$1]')), 'route.ts');
  return ((await import(file)) as Record<string, Handler>)[op.method];
}

async function makeTarget(name: string, image: Uint8Array): Promise<Target> {
  const admin = { 'x-api-key': ENV_API_KEY };
  const c = await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name, kind: 'object', domain: 'drawings' } });
  const i = await api.call(h.routes.identities.POST, 'POST /api/collections/{id}/identities', { headers: admin, params: { id: c.body.id }, json: { name: 'alpha' } });
  const imageBase64 = Buffer.from(image).toString('base64');
  const e = await api.call(h.routes.images.POST, 'POST /api/identities/{id}/images', { headers: admin, params: { id: i.body.id }, json: { imagesBase64: [imageBase64] } });
  expect([c.status, i.status, e.status]).toEqual([201, 201, 201]);
  return { collectionId: c.body.id, identityId: i.body.id, imageId: e.body.enrolled[0].imageId, image: imageBase64 };
}

beforeAll(async () => {
  h = await startHttpHarness();
  api = await openApiClient(h.routes.openapi);
  const doc = (await (await h.routes.openapi.GET(new Request('http://localhost/api/openapi.json'), { params: Promise.resolve({}) })).json()) as Doc;
  ops = Object.entries(doc.paths).flatMap(([template, byMethod]) =>
    Object.entries(byMethod).map(([method, o]) => ({
      id: o.operationId as OperationId,
      method: method.toUpperCase(),
      template,
      access: ROLE_TABLE[o.operationId as OperationId]?.access,
      successStatus: Number(Object.keys(o.responses).find((s) => s.startsWith('2'))),
    })),
  );
  const drawings = omniglot([OMNIGLOT_SPLIT.heldOut[0]]);
  targets.own = await makeTarget('roles-own', drawings[0].bytes);
  targets.other = await makeTarget('roles-other', drawings[1].bytes);
  for (const [role, collectionId] of [['user', undefined], ['scoped', targets.own.collectionId]] as const) {
    const k = await api.call(h.routes.keys.POST, 'POST /api/keys', { headers: { 'x-api-key': ENV_API_KEY }, json: { name: role, role: 'user', collectionId } });
    keys[role] = k.body.key;
  }
});

afterAll(async () => {
  await h?.stop();
});

describe('the role table', () => {
  it('has one row per documented operation, and the document states each role', async () => {
    expect(ops.map((o) => o.id).sort()).toEqual(Object.keys(ROLE_TABLE).sort());
    const doc = (await (await h.routes.openapi.GET(new Request('http://localhost/api/openapi.json'), { params: Promise.resolve({}) })).json()) as Doc;
    for (const op of ops) {
      const role = doc.paths[op.template][op.method.toLowerCase()]['x-required-role'];
      expect({ id: op.id, role }).toEqual({ id: op.id, role: { none: undefined, any: 'user', admin: 'admin' }[op.access] });
    }
    const userOps = ops.filter((o) => o.access === 'any').map((o) => o.id).sort();
    expect(userOps).toEqual(Object.keys(USER_REQUESTS).sort());
    expect(userOps).not.toEqual(expect.arrayContaining(['deleteIdentity']));
    for (const id of ['updateIdentity', 'deleteIdentity', 'moveImage', 'deleteImage', 'importArchive', 'exportCollection', 'startRetrain', 'createKey', 'listAudit'] as const) {
      expect({ id, access: ROLE_TABLE[id].access }).toEqual({ id, access: 'admin' });
    }
  });

  it('is the table the README states', () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8').split('### Roles')[1].split('\n## ')[0];
    const words: Record<Access, string> = { none: 'anyone (no credentials)', any: 'user, admin', admin: 'admin' };
    const stated = [...readme.matchAll(/^\| `(\w+)` \| (.+) \| (.+) \|$/gm)].map((m) => [m[1], m[2], m[3]]);
    expect(stated).toEqual(Object.entries(ROLE_TABLE).map(([id, r]) => [id, r.summary, words[r.access]]));
  });

  it('is what every route answers to no credentials, an admin key, a user key and a scoped key', async () => {
    const rows: string[] = [];
    for (const op of ops) {
      const handler = await handlerOf(op);
      const route = `${op.method} ${op.template}`;
      const user = USER_REQUESTS[op.id];
      const call = async (key: string | null, t: Target): Promise<number> => {
        const init = user ? user.init(t) : placeholderRequest(op);
        const r = await api.call(handler, route, { ...init, headers: key ? { 'x-api-key': key } : {} });
        if (r.status === 401 || r.status === 403) expect(r.body.code).toBe(r.status === 401 ? 'not_authenticated' : 'forbidden');
        return r.status;
      };
      const granted = (allowed: boolean) => (allowed ? (user ? op.successStatus : 'granted') : 403);
      const seen = async (key: string | null, t: Target) => {
        const status = await call(key, t);
        return user || status === 401 || status === 403 ? status : 'granted';
      };
      const got = {
        none: await seen(null, targets.own),
        admin: await seen(keys.admin, targets.own),
        user: await seen(keys.user, targets.own),
        scopedOwn: await seen(keys.scoped, targets.own),
        scopedOther: await seen(keys.scoped, targets.other),
      };
      const expected = {
        none: op.access === 'none' ? 'granted' : 401,
        admin: granted(true),
        user: granted(op.access !== 'admin'),
        scopedOwn: granted(op.access !== 'admin'),
        scopedOther: granted(op.access !== 'admin' && (user?.scoped === false || op.access === 'none')),
      };
      expect({ route, ...got }).toEqual({ route, ...expected });
      rows.push(`${route}: ${JSON.stringify(got)}`);
    }
    console.log(`role walk, ${ops.length} operations x 5 callers:\n${rows.join('\n')}`);
    expect(ops.length).toBe(Object.keys(ROLE_TABLE).length);
  });

  it('a scoped key lists only its own collection', async () => {
    const r = await api.call(h.routes.collections.GET, 'GET /api/collections', { headers: { 'x-api-key': keys.scoped } });
    expect(r.body.items.map((c: { id: string }) => c.id)).toEqual([targets.own.collectionId]);
  });
});
