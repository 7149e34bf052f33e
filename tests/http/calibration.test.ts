// Calibration on the gallery (issue 7) on known answers: 60 Omniglot characters x 6 drawings imported
// through the API; the FAR and FRR the report gives at a threshold equal a brute-force count over
// every leave-one-identity-out trial computed here from the stored embeddings; the threshold source
// switches to the gallery once the target FAR is measurable.
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { galleryShowsTooLoose, modelThreshold, openSetThreshold } from '@/lib/calibration';
import { decodeVector } from '@/lib/matching/runtime/vectors';
import { ApiClient, openApiClient } from './client';
import { ENV_API_KEY, startHttpHarness, type HttpHarness } from './harness';
import { form, omniglot } from './images';

let h: HttpHarness;
let api: ApiClient;
const admin = { 'x-api-key': ENV_API_KEY };
let collectionId: string;

beforeAll(async () => {
  h = await startHttpHarness();
  api = await openApiClient(h.routes.openapi);
  const byChar = new Map<string, Uint8Array[]>();
  for (const e of omniglot(['Bengali', 'Korean'])) byChar.set(`${e.alphabet}/${e.character}`, [...(byChar.get(`${e.alphabet}/${e.character}`) ?? []), e.bytes]);
  const chars = [...byChar.entries()].slice(0, 60);
  collectionId = (await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name: 'calibration', kind: 'object', domain: 'drawings' } })).body.id;
  // Two archives of 30 characters: the suite's MAX_ARCHIVE_ENTRIES is 200.
  for (const part of [chars.slice(0, 30), chars.slice(30)]) {
    const zip = zipSync(Object.fromEntries(part.flatMap(([name, drawings]) => drawings.slice(0, 6).map((b, i) => [`${name}/${i}.png`, b]))));
    const r = await api.call(h.routes.importArchive.POST, 'POST /api/collections/{id}/import', { headers: admin, params: { id: collectionId }, form: form('archive', [{ name: 'g.zip', bytes: zip }]) });
    expect(r.body).toMatchObject({ enrolled: 180, rejected: [] });
  }
}, 300_000);

afterAll(async () => {
  await h?.stop();
});

/** Unit vector of `v`. */
const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const distance = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.hypot(...Array.from(a, (x, k) => x - b[k]));

/**
 * Every trial by brute force, as the shipped drawing model scores an identity (by its centroid, the
 * normalised sum of its images): per example, the centroid of its identity's other examples, and the
 * nearest centroid of any other identity.
 */
async function bruteForceTrials() {
  const rt = h.svc.getRuntime();
  const c = await rt.db.collection.findUniqueOrThrow({ where: { id: collectionId } });
  const rows = await rt.db.embedding.findMany({ where: { modelVersion: c.modelVersion, image: { collectionId } }, include: { image: true } });
  const items = rows.map((r) => ({ who: r.image.identityId, v: decodeVector(r.vector) }));
  const sums = new Map<string, number[]>();
  for (const a of items) sums.set(a.who, Array.from(a.v, (x, k) => x + (sums.get(a.who)?.[k] ?? 0)));
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (const a of items) {
    genuine.push(distance(a.v, unit(sums.get(a.who)!.map((x, k) => x - a.v[k]))));
    impostor.push(Math.min(...[...sums].filter(([who]) => who !== a.who).map(([, sum]) => distance(a.v, unit(sum)))));
  }
  return { genuine, impostor };
}

const report = async () => {
  const r = await api.call(h.routes.calibration.GET, 'GET /api/collections/{id}/calibration', { headers: admin, params: { id: collectionId } });
  expect(r.status).toBe(200);
  return r.body;
};
const patch = (json: object) => api.call(h.routes.collection.PATCH, 'PATCH /api/collections/{id}', { headers: admin, params: { id: collectionId }, json });

describe('gallery calibration', () => {
  let brute: { genuine: number[]; impostor: number[] };

  beforeAll(async () => {
    brute = await bruteForceTrials();
  });

  it('reports one genuine and one impostor trial per example, the same scores as brute force', async () => {
    const r = await report();
    expect(r).toMatchObject({ eligibleIdentities: 60, minIdentities: 5, trials: { genuine: 360, impostor: 360, sampled: false } });
    const sorted = (xs: number[]) => xs.slice().sort((a, b) => a - b);
    const gap = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));
    expect(gap(r.genuine, sorted(brute.genuine))).toBeLessThan(1e-5);
    expect(gap(r.impostor, sorted(brute.impostor))).toBeLessThan(1e-5);
  });

  it('takes the gallery threshold at a measurable target FAR when it is stricter and its trials show the model curve over the images too loose, and the model curve where the gallery cannot measure it', async () => {
    await patch({ targetFar: 0.01 });
    const r = await report();
    expect(r.targets.find((t: { far: number }) => t.far === 0.01)).toMatchObject({ measurable: true, minImpostorTrials: 300 });
    expect(r.targets.find((t: { far: number }) => t.far === 0.001)).toMatchObject({ measurable: false, minImpostorTrials: 3000, threshold: null });
    expect(r.threshold).toMatchObject({ identities: 60, images: 360 });
    const { getRuntime } = await import('@/lib/matching'); // after the harness has set the environment
    const fromGallery: number = r.targets.find((t: { far: number }) => t.far === 0.01).threshold;
    const served = getRuntime().served.get(r.modelVersion)!;
    // The model ships an open-set table measured by centroid: the 6 images of each of the 60
    // identities count at their measured worth, which for a centroid may be under one identity.
    expect(served.openSetTable?.aggregate).toBe('centroid');
    const model = modelThreshold(served.manifest.calibration.curve, served.openSetTable, 0.01, 60, 360, { bound: true });
    expect(r.threshold.comparisons).toBe(model.comparisons);
    expect(model.comparisons).toBeGreaterThan(0);
    expect(model.comparisons).toBeLessThan(360);
    const fromModel = model.threshold!;
    expect(fromModel).toBeGreaterThan(openSetThreshold(served.manifest.calibration.curve, 0.01, 360));
    const tightened = fromGallery < fromModel && galleryShowsTooLoose({ impostor: Float64Array.from(brute.impostor).sort() }, fromModel, 0.01);
    expect(r.threshold.distance).toBeCloseTo(tightened ? fromGallery : fromModel, 9);
    expect(r.threshold.source).toBe(tightened ? 'gallery' : 'model');
    expect(r.threshold.trials).toBe(tightened ? 360 : served.manifest.calibration.impostorPairs);
    // At most 1% of the 360 strangers fall under it.
    expect(brute.impostor.filter((d) => d <= r.threshold.distance).length).toBeLessThanOrEqual(3);
    // The collection (and so every search) reports the same source and distance.
    const c = await api.call(h.routes.collection.GET, 'GET /api/collections/{id}', { headers: admin, params: { id: collectionId } });
    expect(c.body.threshold).toEqual(r.threshold);

    await patch({ targetFar: 0.001 });
    expect((await report()).threshold.source).toBe('model');
  });

  it.each([0.2, 0.35, 0.5, 0.7])('FAR and FRR at threshold %s equal the brute-force counts', async (t) => {
    await patch({ thresholdOverride: t });
    const r = await report();
    expect(r.threshold).toMatchObject({ source: 'override', distance: t });
    const far = brute.impostor.filter((d) => d <= t).length;
    const frr = brute.genuine.filter((d) => d > t).length;
    expect(r.atThreshold.far).toMatchObject({ n: 360, value: far / 360 });
    expect(r.atThreshold.frr).toMatchObject({ n: 360, value: frr / 360 });
    for (const [rate, k] of [[r.atThreshold.far, far], [r.atThreshold.frr, frr]] as const) {
      if (k === 0) expect(rate).toMatchObject({ upperBound: 3 / 360, lo: 0 });
      else expect(rate.lo <= rate.value && rate.value <= rate.hi && rate.hi - rate.lo < 0.2).toBe(true);
    }
  });
});
