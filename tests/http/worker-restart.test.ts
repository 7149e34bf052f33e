// Issue 16: kill the embedding worker during a stream of searches. Each search answers 200, or
// 503 `embedder_restarting` with Retry-After (only the one the worker was handling);
// /api/health answers 503 `degraded` until the new worker is up, then 200 `ready`; later
// searches and enrolments succeed on the same runtime, without a service restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OmniglotEntry } from '@/lib/datasets/omniglot';
import { ApiClient, openApiClient } from './client';
import { ENV_API_KEY, startHttpHarness, type HttpHarness } from './harness';
import { form, omniglot } from './images';

let h: HttpHarness;
let api: ApiClient;
const admin = { 'x-api-key': ENV_API_KEY };
let collectionId: string;
let identityId: string;
let drawings: OmniglotEntry[];

const png = (e: OmniglotEntry) => ({ name: 'q.png', bytes: e.bytes, type: 'image/png' });
const search = (e: OmniglotEntry) =>
  api.call(h.routes.search.POST, 'POST /api/collections/{id}/search', { headers: admin, params: { id: collectionId }, form: form('image', [png(e)]) });
const health = () => api.call(async () => h.routes.health.GET(), 'GET /api/health');

beforeAll(async () => {
  h = await startHttpHarness();
  api = await openApiClient(h.routes.openapi);
  drawings = omniglot(['Latin']).slice(0, 24);
  const c = await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name: 'restart', kind: 'object', domain: 'drawings' } });
  collectionId = c.body.id;
  const i = await api.call(h.routes.identities.POST, 'POST /api/collections/{id}/identities', { headers: admin, params: { id: collectionId }, json: { name: 'a' } });
  identityId = i.body.id;
  const e = await api.call(h.routes.images.POST, 'POST /api/identities/{id}/images', { headers: admin, params: { id: identityId }, form: form('images', drawings.slice(0, 3).map(png)) });
  expect(e.status).toBe(201);
});

afterAll(async () => {
  await h?.stop();
});

describe('embedding worker killed mid-stream', () => {
  it('answers 200 or 503 with Retry-After, reports degraded, and recovers without a restart', async () => {
    const runtime = h.svc.getRuntime();
    const { embedder } = runtime;
    expect((await health()).status).toBe(200);

    const stream = drawings.slice(3).map((d) => search(d));
    await stream[0]; // the stream is under way: the others are being decoded, queued or embedded
    await embedder.debugKill();
    const degraded = await health();
    expect(degraded.status).toBe(503);
    expect(degraded.body).toMatchObject({ status: 'degraded', error: expect.stringContaining('restarting') });
    expect(Number(degraded.headers.get('retry-after'))).toBeGreaterThan(0);

    const replies = await Promise.all(stream);
    const statuses = replies.map((r) => r.status);
    console.info(`[test] ${replies.length} searches around the kill: ${statuses.filter((s) => s === 200).length} x 200, ${statuses.filter((s) => s === 503).length} x 503`);
    for (const r of replies) {
      if (r.status === 503) {
        expect(r.body).toMatchObject({ status: 503, code: 'embedder_restarting' });
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      } else {
        expect(r.status).toBe(200);
        expect(r.body.results[0].neighbours[0].identityId).toBe(identityId);
      }
    }
    // Only the search the worker was handling fails; the ones queued behind it are sent again.
    expect(statuses.filter((s) => s === 503).length).toBeLessThanOrEqual(1);

    await embedder.whenReady();
    const ready = await health();
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');

    const after = await Promise.all(drawings.slice(3, 8).map((d) => search(d)));
    expect(after.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const enrolled = await api.call(h.routes.images.POST, 'POST /api/identities/{id}/images', { headers: admin, params: { id: identityId }, form: form('images', [png(drawings[8])]) });
    expect(enrolled.status).toBe(201);
    // The same runtime served throughout: one worker restart, no service restart.
    expect(h.svc.getRuntime()).toBe(runtime);
    expect(embedder.restarts).toBe(1);
  }, 120_000);
});
