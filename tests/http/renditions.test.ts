// PNG renditions for display (issue 16, section 7): browsers cannot show PGM/PPM and the issue found
// BMP thumbnails broken, so `GET /api/images/{id}/file?format=png` and `POST /api/renditions` answer a
// PNG of the decoded pixels. Checked on a real ORL PGM and a BMP: the PNG decodes to the very pixels
// of the original; the original bytes stay the default; a stored PNG is answered as it is.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '@/lib/imaging';
import { makeBmp, readOrlFace } from '../imaging/fixtures';
import { ApiClient, openApiClient } from './client';
import { ENV_API_KEY, startHttpHarness, type HttpHarness } from './harness';
import { form, garbage, omniglot } from './images';

let h: HttpHarness;
let api: ApiClient;
const admin = { 'x-api-key': ENV_API_KEY };
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A 24-bit BMP of 16x12 pixels with a colour gradient (rows are BGR). */
const BMP = makeBmp({
  width: 16,
  height: 12,
  bpp: 24,
  rows: [...Array(12).keys()].map((y) => Uint8Array.from([...Array(16).keys()].flatMap((x) => [128, y * 20, x * 16]))),
});
const files = { pgm: { name: 'face.pgm', bytes: readOrlFace() }, bmp: { name: 'grad.bmp', bytes: BMP }, png: { name: 'char.png', bytes: omniglot(['Korean'])[0].bytes } };
const images: Record<string, { id: string; sha256: string; format: string }> = {};

beforeAll(async () => {
  h = await startHttpHarness();
  api = await openApiClient(h.routes.openapi);
  const c = await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name: 'renditions', kind: 'object', domain: 'drawings' } });
  const who = await api.call(h.routes.identities.POST, 'POST /api/collections/{id}/identities', { headers: admin, params: { id: c.body.id }, json: { name: 'mixed' } });
  const enrolled = await api.call(h.routes.images.POST, 'POST /api/identities/{id}/images', { headers: admin, params: { id: who.body.id }, form: form('images', Object.values(files)) });
  expect(enrolled.body.rejected).toEqual([]);
  const list = await api.call(h.routes.images.GET, 'GET /api/identities/{id}/images', { headers: admin, params: { id: who.body.id } });
  for (const img of list.body.items) images[img.format] = img;
  expect(Object.keys(images).sort()).toEqual(['bmp', 'pgm', 'png']);
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

/** The decoded pixels of `bytes`, for comparing an original with its rendition. */
async function pixels(bytes: Uint8Array) {
  const img = await decodeImage(bytes);
  return { width: img.width, height: img.height, channels: img.channels, data: Buffer.from(img.data).toString('base64') };
}

describe('GET /api/images/{id}/file?format=png', () => {
  it.each(['pgm', 'bmp'] as const)('renders a stored %s as a PNG of the same pixels', async (format) => {
    const r = await api.call(h.routes.imageFile.GET, 'GET /api/images/{id}/file', { headers: admin, params: { id: images[format].id }, query: { format: 'png' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/png');
    const body = r.body as Uint8Array;
    expect([...body.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(r.headers.get('etag')).toBe(`"${images[format].sha256}.png"`);
    expect(await pixels(body)).toEqual(await pixels(files[format].bytes));
  });

  it.each([
    { name: 'the original pgm by default', format: 'pgm', query: undefined, type: 'image/x-portable-graymap' },
    { name: 'the original pgm with format=original', format: 'pgm', query: { format: 'original' }, type: 'image/x-portable-graymap' },
    { name: 'a stored png as it is', format: 'png', query: { format: 'png' }, type: 'image/png' },
  ] as const)('answers $name', async ({ format, query, type }) => {
    const r = await api.call(h.routes.imageFile.GET, 'GET /api/images/{id}/file', { headers: admin, params: { id: images[format].id }, query });
    expect(r.headers.get('content-type')).toBe(type);
    expect(createHash('sha256').update(r.body as Uint8Array).digest('hex')).toBe(images[format].sha256);
  });

  it('refuses an unknown format with 422 naming the field', async () => {
    const r = await api.call(h.routes.imageFile.GET, 'GET /api/images/{id}/file', { headers: admin, params: { id: images.pgm.id }, query: { format: 'gif' } });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ path: 'format' })] });
  });
});

describe('POST /api/renditions', () => {
  it('renders an uploaded PGM (a query before searching) as a PNG of the same pixels', async () => {
    const r = await api.call(h.routes.renditions.POST, 'POST /api/renditions', { headers: admin, form: form('image', [files.pgm]) });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/png');
    expect(await pixels(r.body as Uint8Array)).toEqual(await pixels(files.pgm.bytes));
  });

  it('refuses bytes that are no image as an upload is refused', async () => {
    const r = await api.call(h.routes.renditions.POST, 'POST /api/renditions', { headers: admin, form: form('image', [{ name: 'x.pgm', bytes: garbage(512, 3) }]) });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'undecodable' });
  });

  it('needs a caller', async () => {
    const r = await api.call(h.routes.renditions.POST, 'POST /api/renditions', { form: form('image', [files.pgm]) });
    expect(r.status).toBe(401);
  });
});
