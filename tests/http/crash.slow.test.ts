// SIGKILL the server's process group during a stream of enrollments and searches, start it again:
// every search the API answered (200) has its audit row (the audit rows are group-committed before
// the answer, issue 20), every image the API acknowledged (201) is searchable, nothing half-stored remains (every image has its
// embedding and blob file, no blob file lacks its row), and the saved index matches the database.
// Runs the real `npm start` server (scripts/start.ts builds the app first when the build is stale).
import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '@/lib/db/client';
import { AnnIndex } from '@/lib/index/ann';
import { blobStoreKind, openBlobStore } from '@/lib/matching/runtime/open-blob-store';
import { omniglot } from './images';
import { crashSuite, freePort, killGroup, prepareServer, startServer } from './server';

const KEY = 'crash-test-admin-key-0123456789';
const READY_TIMEOUT_MS = 420_000; // the first start may run `next build` (~70 s alone, minutes on a busy 2-core box)
const ACKS_BEFORE_KILL = 12;
const suite = crashSuite(KEY);
const { cleanup, api } = suite;

function imageForm(field: string, name: string, bytes: Uint8Array): FormData {
  const fd = new FormData();
  fd.append(field, new File([new Uint8Array(bytes)], name, { type: 'image/png' }));
  return fd;
}

describe('crash safety', () => {
  it('keeps every acknowledged enrollment across a SIGKILL of the process group', async () => {
    const { env, db, dataDir } = await prepareServer(KEY, 'fewshot-crash-', cleanup);
    const port = await freePort();
    suite.server = await startServer(env, port, READY_TIMEOUT_MS);

    const c = await api(suite.server.base, 'POST', '/api/collections', { name: 'crash', kind: 'object', domain: 'drawings' });
    expect(c.status).toBe(201);
    const identities: string[] = [];
    for (let i = 0; i < 5; i++) identities.push((await api(suite.server.base, 'POST', `/api/collections/${c.json.id}/identities`, { name: `who-${i}` })).json.id);

    // Two writers stream one-image enrollments; the kill lands while requests are in flight.
    const drawings = omniglot(['Latin']).slice(0, 200);
    const acked: { imageId: string; identityId: string; bytes: Uint8Array }[] = [];
    let next = 0;
    let killed = false;
    let inFlightAtKill = 0;
    let inFlight = 0;
    const writer = async (): Promise<void> => {
      while (!killed && next < drawings.length) {
        const d = drawings[next++];
        const identityId = identities[next % identities.length];
        inFlight++;
        try {
          const r = await api(suite.server!.base, 'POST', `/api/identities/${identityId}/images`, imageForm('images', `${next}.png`, d.bytes));
          if (r.status === 201) acked.push({ imageId: r.json.enrolled[0].imageId, identityId, bytes: d.bytes });
        } catch {
          // connection reset by the kill: not acknowledged
        } finally {
          inFlight--;
        }
        if (!killed && acked.length >= ACKS_BEFORE_KILL && inFlight > 0) {
          killed = true;
          inFlightAtKill = inFlight;
          killGroup(suite.server!, 'SIGKILL');
        }
      }
    };
    // Searches with distinct queries beside the writers, once the collection has an image.
    const queries = omniglot(['Greek']).slice(0, 400);
    const answeredSearches: string[] = [];
    let nextQuery = 0;
    const searcher = async (): Promise<void> => {
      while (!killed && nextQuery < queries.length) {
        if (acked.length === 0) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        const q = queries[nextQuery++];
        try {
          const r = await api(suite.server!.base, 'POST', `/api/collections/${c.json.id}/search`, imageForm('image', 'q.png', q.bytes));
          if (r.status === 200) answeredSearches.push(createHash('sha256').update(q.bytes).digest('hex'));
        } catch {
          // connection reset by the kill: not answered
        }
      }
    };
    await Promise.all([writer(), writer(), searcher(), searcher()]);
    expect(killed).toBe(true);
    await suite.server.exited;
    console.info(`[crash] killed with ${acked.length} acknowledged, ${inFlightAtKill} in flight, ${answeredSearches.length} searches answered`);
    expect(answeredSearches.length).toBeGreaterThan(0);

    suite.server = await startServer(env, port, READY_TIMEOUT_MS);
    for (const a of acked) {
      const file = await fetch(`${suite.server.base}/api/images/${a.imageId}/file`, { headers: { 'x-api-key': KEY } });
      expect(file.status).toBe(200);
      expect(createHash('sha256').update(new Uint8Array(await file.arrayBuffer())).digest('hex')).toBe(createHash('sha256').update(a.bytes).digest('hex'));
      const s = await api(suite.server.base, 'POST', `/api/collections/${c.json.id}/search`, imageForm('image', 'q.png', a.bytes));
      expect(s.status).toBe(200);
      // The drawing is among its own k nearest images, so its identity is among the answer's
      // (scored by centroid, not necessarily first); the saved index is compared with the rows below.
      expect(s.json.results[0].neighbours.map((n: { identityId: string }) => n.identityId)).toContain(a.identityId);
    }

    // A graceful stop saves the index; then compare the saved index, the rows and the files.
    killGroup(suite.server, 'SIGTERM');
    expect(await suite.server.exited).toBe(0);
    suite.server = null;
    const client = openDb(db.target);
    try {
      const images = await client.image.findMany({ where: { collectionId: c.json.id }, include: { blob: true, embeddings: true } });
      const collection = await client.collection.findUniqueOrThrow({ where: { id: c.json.id } });
      expect(images.length).toBeGreaterThanOrEqual(acked.length);
      expect(images.length).toBeLessThanOrEqual(acked.length + inFlightAtKill);
      for (const img of images) expect(img.embeddings.map((e) => e.modelVersion)).toEqual([collection.modelVersion]);
      const blobs = await client.blob.findMany();
      const store = openBlobStore(blobStoreKind(undefined, db.target), client, db.target, dataDir);
      expect(await store.list()).toEqual(blobs.map((b) => b.sha256).sort());
      await store.close();
      const index = await AnnIndex.load(path.join(dataDir, 'indexes', c.json.id, `${collection.modelVersion}.hnsw`));
      expect(index.size).toBe(images.length);
      expect(images.every((img) => index.has(img.seq))).toBe(true);
      expect(index.lastSequence).toBe(collection.headSequence);
      const audited = new Set((await client.auditEntry.findMany({ where: { action: 'search', collectionId: c.json.id }, select: { queryHash: true } })).map((a) => a.queryHash));
      expect(answeredSearches.filter((sha) => !audited.has(sha))).toEqual([]);
    } finally {
      await client.$disconnect();
    }
  }, 1_200_000);
});
