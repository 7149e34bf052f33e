// Searches sent together (issue 20), with micro-batching on (EMBED_BATCH_WINDOW_MS=2; the service's
// default is off): their embeddings are micro-batched across the embedding workers and their audit
// rows group-committed, yet each answer equals the one a lone search gets
// and every answered search has its audit row, in fewer insert statements than searches; an
// undecodable image among them fails alone.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOmniglotEntries, type OmniglotEntry } from '@/lib/datasets/omniglot';
import { InputError } from '@/lib/errors';
import { OMNIGLOT_ZIP, prepare, startHarnessOn, type Harness } from './harness';

const ADMIN = { actor: 'system', role: 'admin' as const, collectionId: null };
const TOGETHER = 32;
let h: Harness;
let drawings: OmniglotEntry[];
let collectionId: string;

beforeAll(async () => {
  const p = await prepare();
  h = await startHarnessOn({ ...p, env: { ...p.env, EMBED_BATCH_WINDOW_MS: '2' } });
  drawings = readOmniglotEntries(new Uint8Array(readFileSync(OMNIGLOT_ZIP)), ['Korean']);
  collectionId = (await h.svc.createCollection(ADMIN, { name: 'load', kind: 'object', domain: 'drawings' })).id;
  for (const character of ['character01', 'character02', 'character03', 'character04']) {
    const id = (await h.svc.createIdentity(ADMIN, collectionId, { name: character })).id;
    await h.svc.enrollImages(ADMIN, id, drawings.filter((d) => d.character === character && d.drawer <= 3).map((d) => ({ name: d.path, bytes: d.bytes })));
  }
});

afterAll(async () => {
  await h?.stop();
});

describe('searches sent together', () => {
  it('answer as lone searches do, each audited, in fewer audit inserts than searches', async () => {
    const queries = drawings.filter((d) => d.drawer > 3 && Number(d.character.slice(-2)) <= 4).slice(0, TOGETHER);
    expect(queries).toHaveLength(TOGETHER);
    const alone = [];
    for (const q of queries) alone.push(await h.svc.search(ADMIN, collectionId, q.bytes, { k: 5 }));
    const { audit } = h.svc.getRuntime();
    const batchesBefore = audit.batches;
    const together = await Promise.all(queries.map((q) => h.svc.search(ADMIN, collectionId, q.bytes, { k: 5 })));
    const batches = audit.batches - batchesBefore;
    console.info(`[test] ${TOGETHER} searches sent together: ${batches} audit insert(s)`);
    expect(batches).toBeLessThan(TOGETHER);
    for (const [i, r] of together.entries()) {
      expect(r.results[0].decision.identityId).toBe(alone[i].results[0].decision.identityId);
      expect(r.results[0].neighbours.map((n) => n.identityId)).toEqual(alone[i].results[0].neighbours.map((n) => n.identityId));
      expect(r.results[0].decision.distance!).toBeCloseTo(alone[i].results[0].decision.distance!, 5);
    }
    const page = await h.svc.listAudit(ADMIN, { collectionId, action: 'search', limit: 100 });
    const hashes = page.items.map((e) => e.queryHash);
    for (const q of queries) {
      const sha = createHash('sha256').update(q.bytes).digest('hex');
      // Each query once alone and once together.
      expect(hashes.filter((x) => x === sha)).toHaveLength(2);
    }
  });

  it('answer an undecodable image among them with its own 4xx, and the others as lone searches do', async () => {
    const queries = drawings.filter((d) => d.drawer > 3 && Number(d.character.slice(-2)) <= 4).slice(0, 4);
    const alone = await h.svc.search(ADMIN, collectionId, queries[0].bytes, { k: 5 });
    const bad = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3); // a PNG signature, then nothing
    const settled = await Promise.allSettled([...queries.map((q) => h.svc.search(ADMIN, collectionId, q.bytes, { k: 5 })), h.svc.search(ADMIN, collectionId, bad, { k: 5 })]);
    expect(settled.slice(0, 4).every((r) => r.status === 'fulfilled')).toBe(true);
    // An InputError: a 4xx at the HTTP edge (lib/http/problem.ts).
    expect(settled[4]).toMatchObject({ status: 'rejected', reason: expect.any(InputError) });
    const first = (settled[0] as PromiseFulfilledResult<typeof alone>).value;
    expect(first.results[0].neighbours.map((n) => n.identityId)).toEqual(alone.results[0].neighbours.map((n) => n.identityId));
  });
});
