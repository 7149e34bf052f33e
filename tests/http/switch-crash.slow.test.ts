// Issue 8: SIGKILL the server's process group while a promote job is re-embedding the gallery. The
// collection stays on its old model and index (the database still names the old version, the new
// version's embeddings are partial, and a search after the restart answers with the old version and
// the same identity); the job reads `interrupted`; promoting again embeds only what is missing and
// switches. The candidate is the committed object model copied under a new version (same weights:
// this is about crash safety, not accuracy). Runs the real `npm start` suite.server.
import path from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { openDb } from '@/lib/db/client';
import { form, omniglot } from './images';
import { installCandidate } from '../service/harness';
import { crashSuite, freePort, killGroup, pollJob, prepareServer, startServer } from './server';

const KEY = 'switch-crash-admin-key-0123456789';
const READY_TIMEOUT_MS = 420_000; // the first start may run `next build` (minutes on a busy 2-core box)
const CANDIDATE = 'switch-crash-candidate';
const CHARACTERS = 40;
const DRAWINGS = 20;
const suite = crashSuite(KEY);
const { cleanup, api } = suite;

describe('model switch crash safety', () => {
  it('keeps the old model and index across a SIGKILL during re-embedding; promoting again completes', async () => {
    const setup = await prepareServer(KEY, 'fewshot-switch-crash-', cleanup);
    const { db, dataDir, modelsDir } = setup;
    // A killed job's lease runs out after JOB_LEASE_MS without a heartbeat (issue 21): short here.
    const env = { ...setup.env, INSTANCE_HEARTBEAT_MS: '300', JOB_LEASE_MS: '1500' };
    const oldVersion = installCandidate(modelsDir, dataDir, 'object', CANDIDATE);
    const port = await freePort();
    suite.server = await startServer(env, port, READY_TIMEOUT_MS);

    const c = await api(suite.server.base, 'POST', '/api/collections', { name: 'switch-crash', kind: 'object', domain: 'drawings' });
    expect(c.status).toBe(201);
    const collectionId: string = c.json.id;
    const byChar = new Map<string, Uint8Array[]>();
    for (const e of omniglot(['Bengali', 'Korean'])) byChar.set(`${e.alphabet}/${e.character}`, [...(byChar.get(`${e.alphabet}/${e.character}`) ?? []), e.bytes]);
    const chars = [...byChar.entries()].slice(0, CHARACTERS);
    const total = CHARACTERS * DRAWINGS;
    const zip = zipSync(Object.fromEntries(chars.flatMap(([name, drawings]) => drawings.slice(0, DRAWINGS).map((b, i) => [`${name}/${i}.png`, b]))));
    let t0 = Date.now();
    const imported = await api(suite.server.base, 'POST', `/api/collections/${collectionId}/import`, form('archive', [{ name: 'g.zip', bytes: zip }]));
    expect(imported.status).toBe(200);
    expect(imported.json).toMatchObject({ enrolled: total, rejected: [] });
    console.info(`[switch-crash] imported ${total} images in ${Date.now() - t0} ms`);

    const query = form('image', [{ name: 'q.png', bytes: chars[7][1][3], type: 'image/png' }]);
    const before = await api(suite.server.base, 'POST', `/api/collections/${collectionId}/search`, query);
    expect(before.status).toBe(200);
    expect(before.json.modelVersion).toBe(oldVersion);
    const topBefore: string = before.json.results[0].neighbours[0].identityId;
    // One of the collection's own drawings: its character (named by its folder) is the nearest, by centroid.
    expect(before.json.results[0].neighbours[0].name).toBe(path.posix.basename(chars[7][0]));

    // Promote, and kill the server's group once some but not all images are re-embedded.
    t0 = Date.now();
    const first = await api(suite.server.base, 'POST', `/api/collections/${collectionId}/promote`, { modelVersion: CANDIDATE });
    expect(first.status).toBe(202);
    const mid = await pollJob(api, suite.server.base, first.json.id, (j) => j.progress?.phase === 'embedding' && j.progress.done > 0 && j.progress.done < j.progress.total, 120_000, 50);
    killGroup(suite.server, 'SIGKILL');
    await suite.server.exited;
    suite.server = null;
    console.info(`[switch-crash] killed ${Date.now() - t0} ms after promote at ${mid.progress.done}/${mid.progress.total} embedded`);

    const client = openDb(db.target);
    let embeddedNew: number;
    try {
      const row = await client.collection.findUniqueOrThrow({ where: { id: collectionId } });
      expect(row).toMatchObject({ modelVersion: oldVersion, previousModelVersion: null });
      embeddedNew = await client.embedding.count({ where: { modelVersion: CANDIDATE, image: { collectionId } } });
      expect(embeddedNew).toBeGreaterThan(0);
      expect(embeddedNew).toBeLessThan(total);
      expect(await client.embedding.count({ where: { modelVersion: oldVersion, image: { collectionId } } })).toBe(total);
    } finally {
      await client.$disconnect();
    }

    suite.server = await startServer(env, port, READY_TIMEOUT_MS);
    // The killed job's lease (JOB_LEASE_MS below) runs out within moments of the restart.
    await pollJob(api, suite.server.base, first.json.id, (j) => j.status === 'interrupted', 30_000, 200);
    const afterKill = await api(suite.server.base, 'POST', `/api/collections/${collectionId}/search`, query);
    expect(afterKill.status).toBe(200);
    expect(afterKill.json.modelVersion).toBe(oldVersion);
    expect(afterKill.json.results[0].neighbours[0].identityId).toBe(topBefore);
    const stillOld = await api(suite.server.base, 'GET', `/api/collections/${collectionId}`);
    expect(stillOld.json).toMatchObject({ modelVersion: oldVersion, previousModelVersion: null });

    // Promote again: only the missing embeddings are computed, then the collection switches.
    t0 = Date.now();
    const second = await api(suite.server.base, 'POST', `/api/collections/${collectionId}/promote`, { modelVersion: CANDIDATE });
    expect(second.status).toBe(202);
    expect(second.json.id).not.toBe(first.json.id);
    const done = await pollJob(api, suite.server.base, second.json.id, (j) => j.status === 'succeeded', 300_000, 500);
    console.info(`[switch-crash] second promote succeeded in ${Date.now() - t0} ms, embedded ${done.result.embedded}`);
    expect(done.result.embedded).toBeGreaterThanOrEqual(1);
    expect(done.result.embedded).toBe(total - embeddedNew);
    expect(done.result).toMatchObject({ from: oldVersion, to: CANDIDATE });
    const switched = await api(suite.server.base, 'GET', `/api/collections/${collectionId}`);
    expect(switched.json).toMatchObject({ modelVersion: CANDIDATE, previousModelVersion: oldVersion });
    const after = await api(suite.server.base, 'POST', `/api/collections/${collectionId}/search`, query);
    expect(after.status).toBe(200);
    expect(after.json.modelVersion).toBe(CANDIDATE);
    expect(after.json.results[0].neighbours[0].identityId).toBe(topBefore);
  }, 1_500_000);
});
