// Bad inputs answer their 4xx problem+json and change nothing: per-table row counts, the index
// element count and the files under DATA_DIR are equal before and after each request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, openApiClient, type Reply } from './client';
import { zipSync } from 'fflate';
import { ARCHIVE_LIMITS, ENV_API_KEY, MAX_UPLOAD_BYTES, snapshotService, startHttpHarness, type HttpHarness } from './harness';
import { form, garbage, hugePngHeader, omniglot, truncatedJpeg } from './images';

let h: HttpHarness;
let api: ApiClient;
const admin = { 'x-api-key': ENV_API_KEY };
let userKey: string;
let collectionId: string;
let modelVersion: string;
let identityA: string;
let identityB: string;
let drawings: Uint8Array[];
let truncated: Uint8Array;

const snapshot = () => snapshotService(h, collectionId, modelVersion);

beforeAll(async () => {
  h = await startHttpHarness();
  api = await openApiClient(h.routes.openapi);
  const c = await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name: 'bad-inputs', kind: 'object', domain: 'drawings' } });
  collectionId = c.body.id;
  modelVersion = c.body.modelVersion;
  const ids: string[] = [];
  for (const name of ['a', 'b']) {
    const r = await api.call(h.routes.identities.POST, 'POST /api/collections/{id}/identities', { headers: admin, params: { id: collectionId }, json: { name } });
    ids.push(r.body.id);
  }
  [identityA, identityB] = ids;
  drawings = omniglot(['Latin']).slice(0, 3).map((e) => e.bytes);
  const enrolled = await api.call(h.routes.images.POST, 'POST /api/identities/{id}/images', {
    headers: admin, params: { id: identityA }, form: form('images', [{ name: 'a0.png', bytes: drawings[0], type: 'image/png' }]),
  });
  expect(enrolled.status).toBe(201);
  const key = await api.call(h.routes.keys.POST, 'POST /api/keys', { headers: admin, json: { name: 'user', role: 'user' } });
  userKey = key.body.key;
  truncated = await truncatedJpeg(drawings[1]);
});

afterAll(async () => {
  await h?.stop();
});

const enroll = (files: { name: string; bytes: Uint8Array }[], headers: Record<string, string> = admin, id = () => identityA) => () =>
  api.call(h.routes.images.POST, 'POST /api/identities/{id}/images', { headers, params: { id: id() }, form: form('images', files) });
const searchWith = (bytes: Uint8Array) => () =>
  api.call(h.routes.search.POST, 'POST /api/collections/{id}/search', { headers: admin, params: { id: collectionId }, form: form('image', [{ name: 'q', bytes }]) });
const importZip = (zip: Uint8Array) => () =>
  api.call(h.routes.importArchive.POST, 'POST /api/collections/{id}/import', { headers: admin, params: { id: collectionId }, form: form('archive', [{ name: 'gallery.zip', bytes: zip, type: 'application/zip' }]) });
/** A zip whose entry names are written as given (fflate keeps them verbatim), a valid drawing in each. */
const zipOf = (names: string[]) => zipSync(Object.fromEntries(names.map((n) => [n, drawings[2]])));
const rejected = (file: string, reason: string) => ({
  code: 'enroll_rejected', status: 422, errors: [], rejected: [{ file, reason, detail: expect.any(String) }],
});

describe('bad inputs change nothing', () => {
  const cases: { name: string; call: () => Promise<Reply>; status: number; expected: object }[] = [
    { name: 'garbage bytes', call: () => enroll([{ name: 'garbage.bin', bytes: garbage(4096, 1) }])(), status: 422, expected: rejected('garbage.bin', 'undecodable') },
    { name: 'truncated JPEG', call: () => enroll([{ name: 'cut.jpg', bytes: truncated }])(), status: 422, expected: rejected('cut.jpg', 'undecodable') },
    { name: '20000x20000 PNG', call: () => enroll([{ name: 'huge.png', bytes: hugePngHeader(20000, 20000) }])(), status: 422, expected: rejected('huge.png', 'too_many_pixels') },
    { name: 'zero bytes', call: () => enroll([{ name: 'empty.png', bytes: new Uint8Array(0) }])(), status: 422, expected: rejected('empty.png', 'undecodable') },
    {
      name: 'wrong field',
      call: () => api.call(h.routes.images.POST, 'POST /api/identities/{id}/images', { headers: admin, params: { id: identityA }, form: form('file', [{ name: 'x.png', bytes: drawings[1] }]) }),
      status: 422,
      expected: { code: 'validation_failed', errors: [{ path: 'images', message: expect.any(String) }, { path: 'file', message: 'unknown field' }] },
    },
    { name: 'no key', call: () => enroll([{ name: 'x.png', bytes: drawings[1] }], {})(), status: 401, expected: { code: 'not_authenticated' } },
    {
      name: 'user key on an admin route',
      call: () => api.call(h.routes.collections.POST, 'POST /api/collections', { headers: { 'x-api-key': userKey }, json: { name: 'nope', kind: 'object', domain: 'drawings' } }),
      status: 403,
      expected: { code: 'forbidden' },
    },
    {
      name: 'bytes of another identity, with a new image beside them',
      call: () => enroll([{ name: 'new.png', bytes: drawings[2] }, { name: 'taken.png', bytes: drawings[0] }], admin, () => identityB)(),
      status: 409,
      expected: { code: 'conflict' },
    },
    { name: 'search with garbage', call: () => searchWith(garbage(512, 2))(), status: 422, expected: { code: 'undecodable', errors: [] } },
    { name: 'search with a 20000x20000 PNG', call: () => searchWith(hugePngHeader(20000, 20000))(), status: 422, expected: { code: 'too_many_pixels' } },
    {
      name: 'JSON that is not base64',
      call: () => api.call(h.routes.images.POST, 'POST /api/identities/{id}/images', { headers: admin, params: { id: identityA }, json: { imagesBase64: ['%%%'] } }),
      status: 422,
      expected: { code: 'validation_failed', errors: [{ path: 'imagesBase64.0', message: expect.any(String) }] },
    },
    {
      // 24 MiB + 24 MiB of zeros pack into ~50 KB; together they declare more than MAX_ARCHIVE_UNPACKED_BYTES.
      name: 'a zip bomb (declared unpacked size over the limit)',
      call: () => importZip(zipSync({ 'bomb/a.png': new Uint8Array(ARCHIVE_LIMITS.unpackedBytes * 0.75), 'bomb/b.png': new Uint8Array(ARCHIVE_LIMITS.unpackedBytes * 0.75), 'ok/c.png': drawings[2] }))(),
      status: 413,
      expected: { code: 'archive_too_large' },
    },
    {
      name: 'a zip with more entries than MAX_ARCHIVE_ENTRIES',
      call: () => importZip(zipSync(Object.fromEntries(Array.from({ length: ARCHIVE_LIMITS.entries + 1 }, (_, i) => [`many/${i}.png`, new Uint8Array(1)]))))(),
      status: 413,
      expected: { code: 'archive_too_large' },
    },
    { name: 'a zip with a ../ path', call: () => importZip(zipOf(['ok/a.png', 'ok/../../escape.png']))(), status: 400, expected: { code: 'archive_unsafe_path' } },
    { name: 'a zip with an absolute path', call: () => importZip(zipOf(['/etc/cron.d/x.png']))(), status: 400, expected: { code: 'archive_unsafe_path' } },
    { name: 'an archive that is not a zip', call: () => importZip(garbage(2048, 4))(), status: 400, expected: { code: 'invalid_archive' } },
    {
      name: 'a body over MAX_UPLOAD_BYTES',
      call: () => enroll([{ name: 'big.bin', bytes: garbage(MAX_UPLOAD_BYTES + 1, 3) }])(),
      status: 413,
      expected: { code: 'request_too_large' },
    },
  ];

  it.each(cases)('$name -> $status', async ({ call, status, expected }) => {
    const before = await snapshot();
    const r = await call();
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(r.body).toMatchObject({ status, instance: r.headers.get('x-request-id'), ...expected });
    expect(await snapshot()).toEqual(before);
  });

  it('the snapshot sees a real change (the check can fail)', async () => {
    const before = await snapshot();
    const r = await enroll([{ name: 'a1.png', bytes: drawings[1] }])();
    expect(r.status).toBe(201);
    const after = await snapshot();
    expect(after.counts.image).toBe(before.counts.image + 1);
    expect(after.indexSize).toBe((before.indexSize ?? 0) + 1);
    // The image's bytes: a file under DATA_DIR (fs store) or a BlobContent row (database store).
    expect(after.files.length + after.counts.blobContent).toBeGreaterThan(before.files.length + before.counts.blobContent);
  });
});
