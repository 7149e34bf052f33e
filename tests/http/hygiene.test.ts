// Small defects of issue 16 (section 6) through the API: names with control or bidi characters
// are refused (typed in, or as folders and collection.json of an imported zip, and by the use cases
// scripts call), identity metadata is bounded in size and depth, and the promote 404 and the
// retraining 400 name no server path. (The defects only Next's real server shows: tests/http/real-server.slow.test.ts.)
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CALLER } from '@/lib/matching/caller';
import { ApiClient, openApiClient, type Reply } from './client';
import { ENV_API_KEY, startHttpHarness, type HttpHarness } from './harness';
import { form, omniglot } from './images';

let h: HttpHarness;
let api: ApiClient;
const admin = { 'x-api-key': ENV_API_KEY };
let collectionId: string;
let identityId: string;

/** A JSON object nested `depth` levels deep (the outermost object is level 1). */
function nested(depth: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < depth; i++) v = { child: v };
  return v;
}

function expect422(r: Reply, path: string, message: string): void {
  expect(r.status).toBe(422);
  expect(r.body).toMatchObject({ status: 422, code: 'validation_failed', errors: [{ path, message }] });
}

beforeAll(async () => {
  h = await startHttpHarness();
  api = await openApiClient(h.routes.openapi);
  const c = await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name: 'hygiene', kind: 'object', domain: 'drawings' } });
  collectionId = c.body.id;
  const i = await api.call(h.routes.identities.POST, 'POST /api/collections/{id}/identities', { headers: admin, params: { id: collectionId }, json: { name: 'alpha' } });
  identityId = i.body.id;
});

afterAll(async () => {
  await h?.stop();
});

describe('names', () => {
  const refused = [
    { name: 'right-to-left override (issue 16)', value: '\u202Eevil\u202C gpj.exe', codePoint: 'U+202E' },
    { name: 'first strong isolate', value: 'a\u2068b', codePoint: 'U+2068' },
    { name: 'right-to-left mark', value: 'a\u200Fb', codePoint: 'U+200F' },
    { name: 'arabic letter mark', value: 'a\u061Cb', codePoint: 'U+061C' },
    { name: 'newline', value: 'a\nb', codePoint: 'U+000A' },
    { name: 'NUL', value: 'a\u0000b', codePoint: 'U+0000' },
    { name: 'C1 control', value: 'a\u0085b', codePoint: 'U+0085' },
    { name: 'line separator', value: 'a\u2028b', codePoint: 'U+2028' },
  ];
  const message = (cp: string) => `expected a name without control or bidi characters, got ${cp}`;

  it.each(refused)('refuses a $name in collection, identity and key names (422)', async ({ value, codePoint }) => {
    const c = await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name: value, kind: 'object', domain: 'drawings' } });
    expect422(c, 'name', message(codePoint));
    const renamed = await api.call(h.routes.collection.PATCH, 'PATCH /api/collections/{id}', { headers: admin, params: { id: collectionId }, json: { name: value } });
    expect422(renamed, 'name', message(codePoint));
    const i = await api.call(h.routes.identities.POST, 'POST /api/collections/{id}/identities', { headers: admin, params: { id: collectionId }, json: { name: value } });
    expect422(i, 'name', message(codePoint));
    const patched = await api.call(h.routes.identity.PATCH, 'PATCH /api/identities/{id}', { headers: admin, params: { id: identityId }, json: { name: value } });
    expect422(patched, 'name', message(codePoint));
    const k = await api.call(h.routes.keys.POST, 'POST /api/keys', { headers: admin, json: { name: value, role: 'user' } });
    expect422(k, 'name', message(codePoint));
  });

  it.each([
    { name: 'Hebrew', value: 'שלום עולם' },
    { name: 'Persian with a zero-width non-joiner', value: 'می\u200Cخواهم' },
    { name: 'an emoji sequence with a zero-width joiner', value: 'team \u{1F469}\u200D\u{1F4BB}' },
  ])('keeps $name names', async ({ value }) => {
    const r = await api.call(h.routes.identities.POST, 'POST /api/collections/{id}/identities', { headers: admin, params: { id: collectionId }, json: { name: value } });
    expect(r.status).toBe(201);
    expect(r.body.name).toBe(value);
  });
});

describe('names and metadata in an imported zip', () => {
  const importZip = (files: Record<string, Uint8Array>) =>
    api.call(h.routes.importArchive.POST, 'POST /api/collections/{id}/import', {
      headers: admin, params: { id: collectionId }, form: form('archive', [{ name: 'a.zip', bytes: zipSync(files), type: 'application/zip' }]),
    });
  const identityCount = async () => (await api.call(h.routes.identities.GET, 'GET /api/collections/{id}/identities', { headers: admin, params: { id: collectionId }, query: { limit: 100 } })).body.items.length;

  it('refuses a folder named with a right-to-left override before writing anything (400 invalid_archive)', async () => {
    const before = await identityCount();
    const [a, b] = omniglot(['Latin']);
    const r = await importZip({ 'fine/a.png': a.bytes, '\u202Eevil\u202C gpj.exe/b.png': b.bytes });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      code: 'invalid_archive',
      detail: 'identity "<U+202E>evil<U+202C> gpj.exe": expected a name without control or bidi characters, got U+202E; nothing was imported',
    });
    expect(await identityCount()).toBe(before);
  });

  it('refuses an export whose collection.json holds 1000-level metadata', async () => {
    const doc = { format: 'fewshot-collection/1', identities: [{ name: 'deep', externalId: 'deep', metadata: nested(1000), images: [] }] };
    const r = await importZip({ 'collection.json': strToU8(JSON.stringify(doc)) });
    expect(r.status).toBe(400);
    expect(r.body.detail).toBe('identity "deep": expected metadata nested at most 8 levels deep, got 1000; nothing was imported');
  });

  it('the use cases refuse them too (scripts do not go through the HTTP schemas)', async () => {
    await expect(h.svc.createIdentity(SYSTEM_CALLER, collectionId, { name: '\u202Eevil' })).rejects.toMatchObject({ code: 'invalid_name', message: 'expected a name without control or bidi characters, got U+202E' });
    await expect(h.svc.createCollection(SYSTEM_CALLER, { name: 'a\u2066b', kind: 'object', domain: 'drawings' })).rejects.toMatchObject({ code: 'invalid_name' });
    await expect(h.svc.updateIdentity(SYSTEM_CALLER, identityId, { metadata: nested(9) })).rejects.toMatchObject({ code: 'invalid_metadata', message: 'expected metadata nested at most 8 levels deep, got 9' });
  });
});

describe('identity metadata', () => {
  it('refuses 2 MB and 1000-level nesting, on create and update (422)', async () => {
    const big = { blob: 'x'.repeat(2 * 1024 * 1024) };
    const bigBytes = Buffer.byteLength(JSON.stringify(big));
    const create = (metadata: unknown) =>
      api.call(h.routes.identities.POST, 'POST /api/collections/{id}/identities', { headers: admin, params: { id: collectionId }, json: { name: 'meta', metadata } });
    const update = (metadata: unknown) => api.call(h.routes.identity.PATCH, 'PATCH /api/identities/{id}', { headers: admin, params: { id: identityId }, json: { metadata } });
    for (const call of [create, update]) {
      expect422(await call(big), 'metadata', `expected metadata of at most 16384 bytes as JSON, got ${bigBytes}`);
      expect422(await call(nested(1000)), 'metadata', 'expected metadata nested at most 8 levels deep, got 1000');
      expect422(await call(nested(9)), 'metadata', 'expected metadata nested at most 8 levels deep, got 9');
    }
    const got = await api.call(h.routes.identity.GET, 'GET /api/identities/{id}', { headers: admin, params: { id: identityId } });
    expect(got.body.metadata).toBeNull();
  });

  it('accepts metadata at the bounds: 8 levels, 16384 bytes', async () => {
    const atDepth = nested(8);
    const r = await api.call(h.routes.identity.PATCH, 'PATCH /api/identities/{id}', { headers: admin, params: { id: identityId }, json: { metadata: atDepth } });
    expect(r.status).toBe(200);
    expect(r.body.metadata).toEqual(atDepth);
    const pad = 16384 - Buffer.byteLength(JSON.stringify({ note: '' }));
    const atSize = { note: 'y'.repeat(pad) };
    expect(Buffer.byteLength(JSON.stringify(atSize))).toBe(16384);
    const s = await api.call(h.routes.identity.PATCH, 'PATCH /api/identities/{id}', { headers: admin, params: { id: identityId }, json: { metadata: atSize } });
    expect(s.status).toBe(200);
  });
});

describe('retraining with a base training set the server lacks', () => {
  it('answers 400 invalid_settings without server paths', async () => {
    const face = await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name: 'hygiene faces', kind: 'face' } });
    const r = await api.call(h.routes.retrain.POST, 'POST /api/collections/{id}/retrain', { headers: admin, params: { id: face.body.id }, json: { includeBaseData: true } });
    expect(r.body).toMatchObject({
      code: 'invalid_settings',
      detail: "settings.includeBaseData: this server has no base training set for face collections (drawings: Omniglot's omniglot-background, photos: grocery-store, under TRAINING_DATA_DIR; none for faces)",
    });
    expect(r.body.detail).not.toContain(process.cwd());
  });
});

describe('promote to an unknown version', () => {
  it('answers 404 model_not_found without server paths', async () => {
    const r = await api.call(h.routes.promote.POST, 'POST /api/collections/{id}/promote', { headers: admin, params: { id: collectionId }, json: { modelVersion: 'v-nope' } });
    expect(r.body).toEqual({
      type: '/problems/model_not_found',
      title: expect.any(String),
      status: 404,
      detail: 'no object model version v-nope, bundled, trained here or in the shared store; GET /api/models lists them',
      instance: r.headers.get('x-request-id'),
      code: 'model_not_found',
    });
    for (const dir of [h.dataDir, h.modelsDir, process.cwd()]) expect(r.body.detail).not.toContain(dir);
  });
});
