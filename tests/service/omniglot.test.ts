// Enroll 5 Omniglot characters (3 drawings each, held-out alphabets, drawn by seed), then search
// with an unseen drawing of each: the right identity; a never-enrolled character: unknown;
// deleting an identity makes its images unsearchable at once. Real db, worker, index and images.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OMNIGLOT_SPLIT, readOmniglotEntries, type OmniglotEntry } from '@/lib/datasets/omniglot';
import { createUniform, shuffled } from '@/lib/evaluation/random';
import { OMNIGLOT_ZIP, committedModelsDir, startDefaultHarness, type Harness } from './harness';

// Recognition needs the committed default object model; with the untrained fixture only the
// mechanics are checked. What the committed model guarantees here: the right identity is nearest
// for each unseen drawing, a decision never names a wrong identity, and the stranger is unknown.
// It does not accept all five at the target FAR 1e-2: in 5-identity, 3-shot galleries it accepts
// 87.5% of genuine queries (README, "The default object model"), and this draw's drawings of
// N_Ko/character18, Bengali/character22 and Hebrew/character05 lie beyond the threshold.
const TRAINED = committedModelsDir() !== null;

const ADMIN = { actor: 'system', role: 'admin' as const, collectionId: null };
let h: Harness;
let characters: OmniglotEntry[][];

beforeAll(async () => {
  h = await startDefaultHarness();
  const rt = h.svc.getRuntime();
  const heldOut = rt.models.get('object')!.manifest.data.heldOut;
  const alphabets = heldOut.length > 0 ? heldOut : [...OMNIGLOT_SPLIT.heldOut];
  const entries = readOmniglotEntries(new Uint8Array(readFileSync(OMNIGLOT_ZIP)), alphabets);
  const byChar = new Map<string, OmniglotEntry[]>();
  for (const e of entries) byChar.set(`${e.alphabet}/${e.character}`, [...(byChar.get(`${e.alphabet}/${e.character}`) ?? []), e]);
  // 6 characters by seed: 5 enrolled, 1 never enrolled; drawers shuffled by seed too.
  const rng = createUniform(5);
  characters = shuffled([...byChar.keys()].sort(), rng).slice(0, 6).map((k) => shuffled(byChar.get(k)!, rng));
});

afterAll(async () => {
  await h?.stop();
});

describe('search', () => {
  let collectionId: string;
  const identityIds: string[] = [];

  it('enrolls 5 characters with 3 drawings each', async () => {
    const c = await h.svc.createCollection(ADMIN, { name: 'omniglot', kind: 'object', domain: 'drawings' });
    collectionId = c.id;
    for (const drawings of characters.slice(0, 5)) {
      const who = await h.svc.createIdentity(ADMIN, c.id, { name: `${drawings[0].alphabet}/${drawings[0].character}` });
      identityIds.push(who.id);
      const res = await h.svc.enrollImages(ADMIN, who.id, drawings.slice(0, 3).map((d) => ({ name: d.path, bytes: d.bytes })));
      expect(res.rejected).toEqual([]);
      expect(res.enrolled).toHaveLength(3);
    }
    const after = await h.svc.getCollection(ADMIN, c.id);
    expect(after).toMatchObject({ identityCount: 5, imageCount: 15, threshold: { source: 'model', identities: 5 } });
    expect(h.svc.getRuntime().indexes.stats({ collectionId, modelVersion: after.modelVersion })).toMatchObject({ size: 15, lastSequence: 15 });
  });

  let searches = 0;

  it.skipIf(!TRAINED)('finds each enrolled character nearest from an unseen drawing, and never names a wrong one', async () => {
    for (const [i, drawings] of characters.slice(0, 5).entries()) {
      searches++;
      const res = await h.svc.search(ADMIN, collectionId, drawings[3].bytes, { k: 10 });
      expect(res.results).toHaveLength(1);
      const [{ decision, neighbours }] = res.results;
      console.info(`[test] ${drawings[3].path}: nearest ${neighbours[0].name} at ${neighbours[0].distance.toFixed(3)}, threshold ${decision.threshold.toFixed(3)}`);
      expect(neighbours[0].identityId).toBe(identityIds[i]);
      expect(decision).toMatchObject(decision.distance! <= decision.threshold ? { match: true, identityId: identityIds[i] } : { match: false, identityId: null });
    }
  });

  it.skipIf(!TRAINED)('answers unknown for a character never enrolled', async () => {
    searches++;
    const res = await h.svc.search(ADMIN, collectionId, characters[5][0].bytes, { k: 10 });
    expect(res.results[0].decision).toMatchObject({ match: false, identityId: null, name: null });
    expect(res.results[0].decision.distance!).toBeGreaterThan(res.results[0].decision.threshold);
  });

  it('audits every decision with the query hash and top neighbours', async () => {
    searches++;
    await h.svc.search(ADMIN, collectionId, characters[5][1].bytes, { k: 10 });
    const page = await h.svc.listAudit(ADMIN, { action: 'search', collectionId, limit: 100 });
    expect(page.items).toHaveLength(searches);
    expect(page.items[0]).toMatchObject({
      actor: 'system', action: 'search', collectionId, modelVersion: expect.any(String), threshold: expect.any(Number),
      queryHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      details: { k: 10, results: [{ decision: expect.objectContaining({ match: expect.any(Boolean) }), neighbours: expect.any(Array) }] },
    });
    expect((page.items[0].details as { results: { neighbours: unknown[] }[] }).results[0].neighbours.length).toBeGreaterThan(0);
  });

  it('makes a deleted identity unsearchable at once', async () => {
    await h.svc.deleteIdentity(ADMIN, identityIds[0]);
    const res = await h.svc.search(ADMIN, collectionId, characters[0][0].bytes, { k: 100 });
    expect(res.results[0].neighbours.map((n) => n.identityId)).not.toContain(identityIds[0]);
    expect(res.results[0].neighbours).toHaveLength(4);
  });
});
