// Photo collections served (issue 19) through the REST API: an object collection chooses its domain
// (photos by default), a photos collection embeds decode -> MobileNetV2 backbone -> trained head in
// the embedding worker, matches unseen photos of enrolled products and answers unknown for products
// never enrolled. Photos are the grocery-store set's (../shared/data), products the committed photo
// model held out of its training (its manifest's data.heldOut), so none was seen in training.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundThreshold, modelThreshold, openSetThreshold, pairwiseFarForOpenSet } from '@/lib/calibration';
import { GROCERY_STORE } from '../helpers/data';
import { ApiClient, openApiClient } from './client';
import { ENV_API_KEY, startHttpHarness, type HttpHarness } from './harness';
import { form, omniglot } from './images';

let h: HttpHarness;
let api: ApiClient;
const admin = { 'x-api-key': ENV_API_KEY };
/** The committed photo model (models/defaults.json "photo") and drawing model ("object"). */
const PHOTO_MODEL = 'photos-2026-12-05-259d';
const DRAWING_MODEL = 'omniglot-ensemble-2026-11-30-b500';

/** The photos of a grocery-store product, by file name. */
function photos(product: string): { name: string; bytes: Uint8Array }[] {
  const dir = path.join(GROCERY_STORE, product);
  return readdirSync(dir).sort().map((name) => ({ name, bytes: new Uint8Array(readFileSync(path.join(dir, name))) }));
}

/** Enrolls each product's first `k` photos through one archive import (folder = identity). */
async function importProducts(collectionId: string, products: readonly string[], k: number): Promise<void> {
  const zip = zipSync(Object.fromEntries(products.flatMap((p) => photos(p).slice(0, k).map((f) => [`${p}/${f.name}`, f.bytes]))));
  const r = await api.call(h.routes.importArchive.POST, 'POST /api/collections/{id}/import', { headers: admin, params: { id: collectionId }, form: form('archive', [{ name: 'photos.zip', bytes: zip }]) });
  expect(r.body).toMatchObject({ enrolled: products.length * k, rejected: [] });
}

const create = (json: Record<string, unknown>) => api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json });

beforeAll(async () => {
  h = await startHttpHarness();
  api = await openApiClient(h.routes.openapi);
}, 300_000);

afterAll(async () => {
  await h?.stop();
});

describe('an object collection chooses its domain', () => {
  it.each([
    { name: 'no domain: photos, served by the photo model', input: {}, expected: { domain: 'photos', modelVersion: PHOTO_MODEL } },
    { name: 'photos', input: { domain: 'photos' }, expected: { domain: 'photos', modelVersion: PHOTO_MODEL } },
    { name: 'drawings, served by the drawing model', input: { domain: 'drawings' }, expected: { domain: 'drawings', modelVersion: DRAWING_MODEL } },
  ])('$name', async ({ name, input, expected }) => {
    const c = await create({ name: `domain ${name}`, kind: 'object', ...input });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ kind: 'object', ...expected });
    const read = await api.call(h.routes.collection.GET, 'GET /api/collections/{id}', { headers: admin, params: { id: c.body.id } });
    expect(read.body).toMatchObject(expected);
  });

  it('lists each object model with its domain, the photo and drawing defaults as defaults', async () => {
    const r = await api.call(h.routes.models.GET, 'GET /api/models', { headers: admin });
    const byVersion = new Map(r.body.items.map((m: { version: string }) => [m.version, m]));
    expect(byVersion.get(PHOTO_MODEL)).toMatchObject({ kind: 'object', domain: 'photo', isDefault: true });
    expect(byVersion.get('photos-raw-2026-12-05-d2fb')).toMatchObject({ kind: 'object', domain: 'photo', isDefault: false });
    expect(byVersion.get(DRAWING_MODEL)).toMatchObject({ kind: 'object', domain: 'drawing', isDefault: true });
    expect(r.body.items.filter((m: { kind: string }) => m.kind === 'face').map((m: { domain: unknown }) => m.domain)).toEqual(expect.arrayContaining([null]));
  });

  it('gives a face collection no domain, and refuses one', async () => {
    const refused = await create({ name: 'face with domain', kind: 'face', domain: 'photos' });
    expect(refused.body).toMatchObject({ status: 422, code: 'invalid_domain', detail: 'domain is for object collections (drawings or photos); a face collection takes none, got photos' });
    const unknown = await create({ name: 'bad domain', kind: 'object', domain: 'paintings' });
    expect(unknown.body).toMatchObject({ status: 422, code: 'validation_failed', errors: [{ path: 'domain', message: 'Invalid option: expected one of "drawings"|"photos"' }] });
  });

  it.each([
    { name: 'a drawings collection to the photo model', domain: 'drawings', modelVersion: PHOTO_MODEL, detail: `collection promote drawings holds drawings; model ${PHOTO_MODEL} is a photo model, it needs a drawing model (GET /api/models lists them)` },
    { name: 'a photos collection to the drawing model', domain: 'photos', modelVersion: DRAWING_MODEL, detail: `collection promote photos holds photos; model ${DRAWING_MODEL} is a drawing model, it needs a photo model (GET /api/models lists them)` },
  ])('refuses to promote $name (model_domain_mismatch), before any job', async ({ domain, modelVersion, detail }) => {
    const c = await create({ name: `promote ${domain}`, kind: 'object', domain });
    const r = await api.call(h.routes.promote.POST, 'POST /api/collections/{id}/promote', { headers: admin, params: { id: c.body.id }, json: { modelVersion } });
    expect(r.body).toMatchObject({ status: 422, code: 'model_domain_mismatch', detail });
  });
});

// Three held-out products of different looks (a vegetable, a fruit, a carton), 3 photos each; the
// queries are 3 other photos of each. Products never enrolled play the strangers, 3 photos each.
// The collection's target FAR is 0.1: the committed head accepts few genuine photos at 0.01 (with 9
// images its threshold is 0.849 here). At 0.1 its open-set table, measured by centroid, counts the 9
// photos as 3.9 comparisons: threshold 1.072 (0.994 counting every image).
const ENROLLED = ['Cucumber', 'Peach', 'Oatly-Oat-Milk'];
const STRANGERS = ['Pineapple', 'Satsumas', 'Tropicana-Golden-Grapefruit'];

describe('a photos collection', () => {
  let collectionId: string;
  const search = (bytes: Uint8Array) =>
    api.call(h.routes.search.POST, 'POST /api/collections/{id}/search', { headers: admin, params: { id: collectionId }, json: { imageBase64: Buffer.from(bytes).toString('base64') } });
  /** The decision on each of a product's unseen photos (photos 4 to 6): the name matched, or null. */
  const answers = async (product: string): Promise<(string | null)[]> => {
    const out: (string | null)[] = [];
    for (const q of photos(product).slice(3, 6)) {
      const r = await search(q.bytes);
      expect(r.status).toBe(200);
      const { decision, neighbours } = r.body.results[0];
      console.info(`[test] ${product}/${q.name}: nearest ${neighbours[0].name} at ${neighbours[0].distance.toFixed(3)}, threshold ${decision.threshold.toFixed(3)}`);
      out.push(decision.match ? decision.name : null);
    }
    return out;
  };

  beforeAll(async () => {
    collectionId = (await create({ name: 'groceries', kind: 'object', targetFar: 0.1 })).body.id;
    await importProducts(collectionId, ENROLLED, 3);
  }, 120_000);

  it('matches an unseen photo of each enrolled product, and names no wrong one', async () => {
    let wrong = 0;
    for (const product of ENROLLED) {
      const named = await answers(product);
      expect({ product, matched: named.includes(product) }).toEqual({ product, matched: true });
      wrong += named.filter((n) => n !== null && n !== product).length;
    }
    // Measured: 1 of 3 photos matched per product, 0 of 9 named wrongly.
    expect(wrong).toBeLessThanOrEqual(1);
  });

  it('answers unknown for photos of products never enrolled, at a rate the target FAR allows', async () => {
    const named = (await Promise.all(STRANGERS.map(answers))).flat();
    const unknown = named.filter((n) => n === null).length;
    // At open-set FAR 0.1 the accepted strangers of 9 are Binomial(9, 0.1): 4 or more has
    // probability 0.008, so a floor of 6 of 9 unknown fails by chance under 1% of the time.
    // Measured: 8 of 9 unknown (one Pineapple photo nearest Cucumber at 0.899, threshold 1.033).
    expect(unknown).toBeGreaterThanOrEqual(6);
  });

  it('the domain guard stays quiet: the photo model separates these products', async () => {
    await importProducts(collectionId, MORE_PRODUCTS, 3);
    expect(await separation(collectionId)).toMatchObject({ verdict: 'separates', advice: null });
  });
});

// The photo model ships an open-set table measured on its 20 calibration products (issue 19 item 3,
// `evaluate make-openset-table`): a photos collection's served threshold counts its 3 photos per
// product at their measured worth, as the default drawing and face models do (calibration.test.ts),
// and reads no looser than the table's identity bound, which 20 products make bind here.
describe("a photos collection's threshold", () => {
  it('reads the photo model curve over the comparisons its open-set table counts, between the products and the photos, held to the identity bound', async () => {
    const c = await create({ name: 'groceries at 1e-2', kind: 'object', targetFar: 0.01 });
    await importProducts(c.body.id, [...ENROLLED, ...MORE_PRODUCTS], 3);
    const r = await api.call(h.routes.calibration.GET, 'GET /api/collections/{id}/calibration', { headers: admin, params: { id: c.body.id } });
    expect(r.body.threshold).toMatchObject({ identities: 8, images: 24 });
    const { getRuntime } = await import('@/lib/matching'); // after the harness has set the environment
    const served = getRuntime().served.get(PHOTO_MODEL)!;
    expect(served.openSetTable).not.toBeNull();
    const counted = modelThreshold(served.manifest.calibration.curve, served.openSetTable, 0.01, 8, 24, { bound: false });
    expect(counted.source).toBe('model-curve-table');
    expect(counted.comparisons).toBeGreaterThan(8);
    expect(counted.comparisons).toBeLessThan(24);
    expect(counted.threshold!).toBeGreaterThan(openSetThreshold(served.manifest.calibration.curve, 0.01, 24));
    const model = modelThreshold(served.manifest.calibration.curve, served.openSetTable, 0.01, 8, 24, { bound: true });
    expect(model).toMatchObject({ source: 'model-curve-bound', comparisons: counted.comparisons });
    expect(model.threshold!).toBe(boundThreshold(served.openSetTable!.bound!, pairwiseFarForOpenSet(0.01, counted.comparisons)));
    expect(model.threshold!).toBeLessThan(counted.threshold!);
    // 24 leave-one-identity-out trials cannot measure 1e-2 (300 needed): the model's threshold is served.
    expect(r.body.threshold).toMatchObject({ source: 'model', comparisons: model.comparisons, trials: served.manifest.calibration.impostorPairs });
    expect(r.body.threshold.distance).toBeCloseTo(model.threshold!, 9);
    const read = await api.call(h.routes.collection.GET, 'GET /api/collections/{id}', { headers: admin, params: { id: c.body.id } });
    expect(read.body.threshold).toEqual(r.body.threshold);
  });
});

// The domain guard (issue 19 item 4) on 8 identities x 3 images of each pairing: the products above
// (the photos collection's, and the same photos in a drawings collection), and 8 Omniglot characters
// of one alphabet.
const MORE_PRODUCTS = ['Alpro-Vanilla-Soyghurt', 'Cabbage', 'Floury-Potato', 'Plum', 'Zucchini'];

/** The calibration report's separation of a collection. */
async function separation(collectionId: string) {
  const r = await api.call(h.routes.calibration.GET, 'GET /api/collections/{id}/calibration', { headers: admin, params: { id: collectionId } });
  expect(r.status).toBe(200);
  const s = r.body.separation;
  console.info(`[test] ${collectionId}: ${s.verdict}, pairwise AUC ${s.pairwiseAuc?.toFixed(3)}, collapsed ${s.collapsedShare?.toFixed(3)} at ${s.modelDistance.toFixed(3)}`);
  return s;
}

describe('the domain guard', () => {
  const drawings = () => {
    const byCharacter = new Map<string, Uint8Array[]>();
    for (const e of omniglot(['Bengali'])) byCharacter.set(e.character, [...(byCharacter.get(e.character) ?? []), e.bytes]);
    return [...byCharacter].slice(0, 8);
  };
  const importDrawings = async (collectionId: string) => {
    const zip = zipSync(Object.fromEntries(drawings().flatMap(([c, bytes]) => bytes.slice(0, 3).map((b, i) => [`${c}/${i}.png`, b]))));
    const r = await api.call(h.routes.importArchive.POST, 'POST /api/collections/{id}/import', { headers: admin, params: { id: collectionId }, form: form('archive', [{ name: 'drawings.zip', bytes: zip }]) });
    expect(r.body).toMatchObject({ enrolled: 24, rejected: [] });
  };

  it('fires for drawings in a photos collection, and suggests a drawings collection', async () => {
    const c = await create({ name: 'drawings as photos', kind: 'object', domain: 'photos' });
    await importDrawings(c.body.id);
    const s = await separation(c.body.id);
    expect(s).toMatchObject({ verdict: 'cannot_separate', aucFloor: 0.7, collapseCeiling: 0.5, minIdentities: 5, genuinePairs: 24, impostorPairs: 252, sampled: false });
    expect(s.advice).toMatch(/^The model cannot separate this gallery's identities: .*If these images are drawings, create a drawings collection/);
  });

  it('fires for photos in a drawings collection, and suggests a photos collection', async () => {
    const c = await create({ name: 'photos as drawings', kind: 'object', domain: 'drawings' });
    await importProducts(c.body.id, [...ENROLLED, ...MORE_PRODUCTS], 3);
    const s = await separation(c.body.id);
    expect(s.verdict).toBe('cannot_separate');
    expect(s.advice).toContain('If these images are photos, create a photos collection');
  });

  it('stays quiet for drawings in a drawings collection', async () => {
    const c = await create({ name: 'drawings as drawings', kind: 'object', domain: 'drawings' });
    await importDrawings(c.body.id);
    expect(await separation(c.body.id)).toMatchObject({ verdict: 'separates', advice: null });
  });
});
