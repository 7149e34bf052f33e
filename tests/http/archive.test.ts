// Galleries in and out as zip archives through the REST API: a folder-per-identity import, the same
// import again (only duplicates), an export (collection.json with embeddings, the original files),
// and that export imported into another collection answering every search the same way.
import { strFromU8, unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, openApiClient } from './client';
import { ENV_API_KEY, startHttpHarness, type HttpHarness } from './harness';
import { form, omniglot } from './images';
import type { OmniglotEntry } from '@/lib/datasets/omniglot';

let h: HttpHarness;
let api: ApiClient;
const admin = { 'x-api-key': ENV_API_KEY };
let characters: OmniglotEntry[][];

beforeAll(async () => {
  h = await startHttpHarness();
  api = await openApiClient(h.routes.openapi);
  const byChar = new Map<string, OmniglotEntry[]>();
  for (const e of omniglot(['Greek'])) byChar.set(e.character, [...(byChar.get(e.character) ?? []), e]);
  characters = [...byChar.values()].slice(0, 4);
});

afterAll(async () => {
  await h?.stop();
});

const createCollection = async (name: string) =>
  (await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name, kind: 'object', domain: 'drawings' } })).body.id as string;
const importInto = (id: string, zip: Uint8Array) =>
  api.call(h.routes.importArchive.POST, 'POST /api/collections/{id}/import', { headers: admin, params: { id }, form: form('archive', [{ name: 'g.zip', bytes: zip, type: 'application/zip' }]) });
const searchIn = async (id: string, bytes: Uint8Array) => {
  const r = await api.call(h.routes.search.POST, 'POST /api/collections/{id}/search', { headers: admin, params: { id }, form: form('image', [{ name: 'q.png', bytes }]) });
  expect(r.status).toBe(200);
  const [res] = r.body.results;
  return { decision: { ...res.decision, identityId: undefined }, neighbours: res.neighbours.map((n: { name: string; distance: number }) => [n.name, n.distance]) };
};

describe('archive import and export', () => {
  let source: string;
  let exported: Uint8Array;
  // Folder per identity: Greek/characterNN/<drawing>.png, 3 drawings each; the 4th is the query.
  const folderZip = () => zipSync(Object.fromEntries(characters.flatMap((d) => d.slice(0, 3).map((e) => [`Greek/${e.character}/${e.path.split('/').pop()}`, e.bytes]))));

  it('imports a folder-per-identity zip: one identity per folder, named by it, its path as externalId', async () => {
    source = await createCollection('archive-source');
    const r = await importInto(source, folderZip());
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ layout: 'folders', identities: { created: 4, existing: 0 }, enrolled: 12, duplicates: 0, rejected: [] });
    const list = await api.call(h.routes.identities.GET, 'GET /api/collections/{id}/identities', { headers: admin, params: { id: source } });
    expect(list.body.items.map((i: { name: string; externalId: string; imageCount: number }) => [i.name, i.externalId, i.imageCount]).sort()).toEqual(
      characters.map((d) => [d[0].character, `Greek/${d[0].character}`, 3]).sort(),
    );
  });

  it('imports the same zip again without adding anything', async () => {
    const r = await importInto(source, folderZip());
    expect(r.body).toEqual({ layout: 'folders', identities: { created: 0, existing: 4 }, enrolled: 0, duplicates: 12, rejected: [] });
    const c = await api.call(h.routes.collection.GET, 'GET /api/collections/{id}', { headers: admin, params: { id: source } });
    expect(c.body).toMatchObject({ identityCount: 4, imageCount: 12 });
  });

  it('lists a file enrolled for another identity as a conflict and still enrolls the rest of its folder', async () => {
    const taken = characters[0][0];
    const zip = zipSync({ [`Other/mixed/${taken.path.split('/').pop()}`]: taken.bytes, 'Other/mixed/new.png': characters[0][5].bytes });
    const r = await importInto(source, zip);
    expect(r.body).toEqual({
      layout: 'folders', identities: { created: 1, existing: 0 }, enrolled: 1, duplicates: 0,
      rejected: [{ file: `Other/mixed/${taken.path.split('/').pop()}`, reason: 'conflict', detail: expect.any(String) }],
    });
    // Leave the source as the export test expects it: 4 identities of 3 images.
    const extra = (await api.call(h.routes.identities.GET, 'GET /api/collections/{id}/identities', { headers: admin, params: { id: source }, query: { q: 'Other/mixed' } })).body.items[0];
    expect((await api.call(h.routes.identity.DELETE, 'DELETE /api/identities/{id}', { headers: admin, params: { id: extra.id } })).status).toBe(204);
  });

  it('exports collection.json with every image, its embedding per model version, and the original files', async () => {
    const r = await api.call(h.routes.exportCollection.GET, 'GET /api/collections/{id}/export', { headers: admin, params: { id: source } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/zip');
    exported = r.body as Uint8Array;
    const files = unzipSync(exported);
    const doc = JSON.parse(strFromU8(files['collection.json']));
    expect(doc).toMatchObject({ format: 'fewshot-collection/1', collection: { name: 'archive-source', kind: 'object' } });
    expect(doc.identities).toHaveLength(4);
    const rt = h.svc.getRuntime();
    const model = rt.models.get('object')!.manifest;
    for (const who of doc.identities) {
      expect(who.images).toHaveLength(3);
      for (const img of who.images) {
        expect(files[img.file]).toBeDefined();
        const vector = new Float32Array(new Uint8Array(Buffer.from(img.embeddings[model.version], 'base64')).buffer);
        expect(vector).toHaveLength(model.embeddingDim);
        const stored = await rt.db.embedding.findFirstOrThrow({ where: { modelVersion: model.version, image: { collectionId: source, blob: { sha256: img.sha256 } } } });
        expect(Buffer.from(vector.buffer).equals(Buffer.from(stored.vector))).toBe(true);
      }
    }
  });

  it('an export imported into another collection answers every search as the source does', async () => {
    const copy = await createCollection('archive-copy');
    const r = await importInto(copy, exported);
    expect(r.body).toEqual({ layout: 'export', identities: { created: 4, existing: 0 }, enrolled: 12, duplicates: 0, rejected: [] });
    for (const d of characters) {
      const [a, b] = [await searchIn(source, d[3].bytes), await searchIn(copy, d[3].bytes)];
      expect(b).toEqual(a);
    }
    // The comparison can fail: a different drawing gives different distances.
    expect(await searchIn(copy, characters[0][4].bytes)).not.toEqual(await searchIn(source, characters[0][3].bytes));
  });
});
