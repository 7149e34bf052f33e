// Models load on demand (issue 21): a collection promoted by another instance names a version this
// runtime has not loaded; its first request loads it, and requests that arrive meanwhile share that
// one load instead of loading the model into the worker once each.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOmniglotEntries } from '@/lib/datasets/omniglot';
import { openDb } from '@/lib/db/client';
import { serveModel } from '@/lib/matching/runtime/serve-model';
import { installCandidate, OMNIGLOT_ZIP, startDefaultHarness, type Harness } from './harness';

const ADMIN = { actor: 'system', role: 'admin' as const, collectionId: null };
let h: Harness;

beforeAll(async () => {
  h = await startDefaultHarness();
});

afterAll(async () => {
  await h?.stop();
});

describe('serveModel', () => {
  it('loads a version once however many ask at the same time', async () => {
    installCandidate(h.modelsDir, h.dataDir, 'object', 'concurrent-candidate');
    const rt = h.svc.getRuntime();
    const loads = await Promise.all(Array.from({ length: 4 }, () => serveModel(rt, 'object', 'concurrent-candidate')));
    for (const m of loads) expect(m).toBe(loads[0]);
    expect(rt.served.get('concurrent-candidate')).toBe(loads[0]);
    expect(loads[0].manifest.version).toBe('concurrent-candidate');
  });

  it.each([
    { name: 'the photo head', input: 'photos-2026-12-05-259d', dim: 128 },
    { name: 'the raw photo feature', input: 'photos-raw-2026-12-05-d2fb', dim: 320 },
  ])('serves $name: the worker runs its backbone on photos, then the head (issue 19)', async ({ input, dim }) => {
    const rt = h.svc.getRuntime();
    const model = await serveModel({ ...rt, modelRoots: { ...rt.modelRoots, bundled: 'models' } }, 'object', input);
    expect(model.manifest).toMatchObject({ domain: 'photo', input: { type: 'vector', dim: 320 }, embeddingDim: dim });
    const side = model.manifest.backbone!.preprocess.inputSizePx;
    const photo = Float32Array.from({ length: side * side * 3 }, (_, i) => (i % 251) / 251); // [224, 224, 3]
    const before = await rt.embedder.debugMemory();
    const [embedding] = await rt.embedder.embed(input, [photo]);
    expect(embedding).toHaveLength(dim);
    expect(Math.hypot(...embedding)).toBeCloseTo(1, 5);
    // Backbone and head run tidy: the worker holds the same tensors after the call as before it.
    expect(await rt.embedder.debugMemory()).toEqual(before);
  });

  it('refuses a version found nowhere with model_not_found', async () => {
    await expect(serveModel(h.svc.getRuntime(), 'object', 'no-such-version')).rejects.toMatchObject({ code: 'model_not_found' });
  });
});

describe('search after a promote made elsewhere', () => {
  it('loads the collection model it has not loaded and answers with it', async () => {
    installCandidate(h.modelsDir, h.dataDir, 'object', 'promoted-elsewhere');
    const c = await h.svc.createCollection(ADMIN, { name: 'elsewhere', kind: 'object', domain: 'drawings' });
    // What another instance's switch commits: the collection row names the new version.
    const db = openDb(h.target);
    try {
      await db.collection.update({ where: { id: c.id }, data: { modelVersion: 'promoted-elsewhere', previousModelVersion: c.modelVersion } });
    } finally {
      await db.$disconnect();
    }
    expect(h.svc.getRuntime().served.has('promoted-elsewhere')).toBe(false);
    const bytes = readOmniglotEntries(new Uint8Array(readFileSync(OMNIGLOT_ZIP)), ['Latin'])[0].bytes;
    const reply = await h.svc.search(ADMIN, c.id, bytes);
    expect(reply.modelVersion).toBe('promoted-elsewhere');
    expect(h.svc.getRuntime().served.has('promoted-elsewhere')).toBe(true);
  });
});
