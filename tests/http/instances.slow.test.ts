// Issue 21: two instances of the real `npm start` server, each with its own DATA_DIR, on one
// PostgreSQL database. A client alternates between them (read-your-writes across processes through
// the change log's head sequence); SIGKILL of one instance's process group during a stream of
// enrolments split across both loses nothing acknowledged and leaves nothing half-stored; jobs carry
// a lease, so the survivor marks the dead instance's jobs interrupted once the lease expires and not
// before, resumes the interrupted switch, retrains and promotes, and both instances follow.
// Original images and trained models still live in the DATA_DIR of the instance that wrote them
// (the shared store is a separate change): where one instance needs the other's image files or
// model, `share` copies them across as that store will serve them, and no check here asks one
// instance for the other's image files over HTTP.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '@/lib/db/client';
import type { OmniglotEntry } from '@/lib/datasets/omniglot';
import { suiteProvider } from '../helpers/db';
import { listFiles } from './harness';
import { form, omniglot } from './images';
import { installCandidate } from '../service/harness';
import { crashSuite, freePort, killGroup, pollJob, prepareServer, startServer, type Server, type ServerSetup } from './server';

const KEY = 'two-instances-admin-key-0123456789';
const READY_TIMEOUT_MS = 420_000; // the first start may run `next build` (minutes on a busy 2-core box)
/** Short heartbeat and lease, so the lease test waits seconds (JOB_LEASE_MS must be ≥ 3 × INSTANCE_HEARTBEAT_MS). */
const HEARTBEAT_MS = 400;
const LEASE_MS = 3_000;
/** A's last renewal is at most one heartbeat before the kill; the survivor notices on its next beat (plus slack for a loaded box). */
const NOTICE_SLACK_MS = HEARTBEAT_MS + 3_000;
const CANDIDATE = 'two-instances-candidate';
const ACKS_BEFORE_KILL = 12;

/** Gallery drawings grouped by character, `characters` × `drawings` of them, named `c00`, `c01`, … (no name holds another). */
function gallery(alphabet: string, characters: number, drawings: number): [string, Uint8Array[]][] {
  const byChar = new Map<string, Uint8Array[]>();
  for (const e of omniglot([alphabet])) byChar.set(e.character, [...(byChar.get(e.character) ?? []), e.bytes]);
  return [...byChar.values()].slice(0, characters).map((bytes, k) => [`c${String(k).padStart(2, '0')}`, bytes.slice(0, drawings)]);
}

function zipOf(chars: [string, Uint8Array[]][]): Uint8Array {
  return zipSync(Object.fromEntries(chars.flatMap(([name, drawings]) => drawings.map((b, i) => [`${name}/${i}.png`, b]))));
}

const query = (bytes: Uint8Array) => form('image', [{ name: 'q.png', bytes, type: 'image/png' }]);

describe.skipIf(suiteProvider() !== 'postgresql')('two instances on one PostgreSQL database', () => {
  const suite = crashSuite(KEY);
  const { cleanup, api } = suite;
  let setup: ServerSetup;
  let envA: Record<string, string>;
  let envB: Record<string, string>;
  let dataDirB: string;
  let portA: number;
  let a: Server | null = null;
  let b: Server;

  /**
   * A search finds the drawing: 200, and its identity among the answer's, which are the identities of
   * the query's k nearest images (the very same drawing among them), each scored by its centroid.
   */
  async function expectFound(base: string, collectionId: string, bytes: Uint8Array, identityId: string): Promise<{ modelVersion: string; results: unknown }> {
    const s = await api(base, 'POST', `/api/collections/${collectionId}/search`, query(bytes));
    expect(s.status).toBe(200);
    expect(s.json.results[0].neighbours.map((n: { identityId: string }) => n.identityId)).toContain(identityId);
    return s.json;
  }

  beforeAll(async () => {
    setup = await prepareServer(KEY, 'fewshot-instance-a-', cleanup);
    dataDirB = mkdtempSync(path.join(tmpdir(), 'fewshot-instance-b-'));
    cleanup.push(() => rmSync(dataDirB, { recursive: true, force: true }));
    const common = { INSTANCE_HEARTBEAT_MS: String(HEARTBEAT_MS), JOB_LEASE_MS: String(LEASE_MS) };
    envA = { ...setup.env, ...common };
    envB = { ...setup.env, ...common, DATA_DIR: dataDirB };
    // The switch candidate (the default model under a new version) exists on both instances.
    for (const dir of [setup.dataDir, dataDirB]) installCandidate(setup.modelsDir, dir, 'object', CANDIDATE);
    cleanup.push(() => {
      if (a) killGroup(a, 'SIGKILL');
      if (b) killGroup(b, 'SIGKILL');
    });
    portA = await freePort();
    a = await startServer(envA, portA, READY_TIMEOUT_MS); // builds once when stale, and migrates
    b = await startServer(envB, await freePort(), READY_TIMEOUT_MS);
  }, READY_TIMEOUT_MS * 2);

  it('an enrolment on one instance is found by the next search on the other; a delete on B is unsearchable on A at once', async () => {
    const c = await api(a!.base, 'POST', '/api/collections', { name: 'alternate', kind: 'object', domain: 'drawings' });
    expect(c.status).toBe(201);
    const drawings = omniglot(['Latin']).filter((_, i) => i % 20 === 0).slice(0, 6);
    const enrolled: { imageId: string; identityId: string; bytes: Uint8Array }[] = [];
    for (const [i, d] of drawings.entries()) {
      const [writer, reader] = i % 2 === 0 ? [a!, b] : [b, a!];
      const who = await api(writer.base, 'POST', `/api/collections/${c.json.id}/identities`, { name: `who-${i}` });
      expect(who.status).toBe(201);
      const r = await api(writer.base, 'POST', `/api/identities/${who.json.id}/images`, form('images', [{ name: `${i}.png`, bytes: d.bytes, type: 'image/png' }]));
      expect(r.status).toBe(201);
      enrolled.push({ imageId: r.json.enrolled[0].imageId, identityId: who.json.id, bytes: d.bytes });
      await expectFound(reader.base, c.json.id, d.bytes, who.json.id);
    }
    // B serves the file of an image A received, byte for byte, and B's export holds A's images.
    for (const x of enrolled.filter((_, i) => i % 2 === 0)) {
      const file = await fetch(`${b.base}/api/images/${x.imageId}/file`, { headers: { 'x-api-key': KEY } });
      expect(file.status).toBe(200);
      expect(new Uint8Array(await file.arrayBuffer())).toEqual(x.bytes);
    }
    const exported = await fetch(`${b.base}/api/collections/${c.json.id}/export`, { headers: { 'x-api-key': KEY } });
    expect(exported.status).toBe(200);
    const entries = Object.entries(unzipSync(new Uint8Array(await exported.arrayBuffer()))).filter(([name]) => !name.endsWith('.json'));
    expect(entries.map(([, bytes]) => Buffer.from(bytes).toString('base64')).sort()).toEqual(enrolled.map((x) => Buffer.from(x.bytes).toString('base64')).sort());
    // Deleting on B the image enrolled on A: A's next search no longer finds its identity.
    const gone = enrolled[0];
    const del = await api(b.base, 'DELETE', `/api/images/${gone.imageId}`);
    expect(del.status).toBeLessThan(300);
    const s = await api(a!.base, 'POST', `/api/collections/${c.json.id}/search`, query(gone.bytes));
    expect(s.status).toBe(200);
    expect(s.json.results[0].neighbours.map((n: { identityId: string }) => n.identityId)).not.toContain(gone.identityId);
  }, 120_000);

  it('keeps every acknowledged enrolment across a SIGKILL of A during a stream split across both; a restarted A catches up to B', async () => {
    const c = await api(b.base, 'POST', '/api/collections', { name: 'stream', kind: 'object', domain: 'drawings' });
    expect(c.status).toBe(201);
    const identities: string[] = [];
    for (let i = 0; i < 5; i++) identities.push((await api(a!.base, 'POST', `/api/collections/${c.json.id}/identities`, { name: `who-${i}` })).json.id);

    // Two writers alternate between A and B; A's group is killed while one of its requests is in flight.
    const drawings: OmniglotEntry[] = omniglot(['Korean']).slice(0, 70);
    const acked: { identityId: string; bytes: Uint8Array; on: 'A' | 'B' }[] = [];
    let next = 0;
    let inFlightA = 0;
    let inFlightAtKill = -1;
    const writer = async (): Promise<void> => {
      while (next < drawings.length) {
        const n = next++;
        const on = n % 2 === 0 ? 'A' : 'B';
        const server = on === 'A' ? a! : b;
        if (on === 'A' && inFlightAtKill >= 0) continue; // A is dead: the client sends to B only
        const identityId = identities[n % identities.length];
        if (on === 'A') inFlightA++;
        try {
          const r = await api(server.base, 'POST', `/api/identities/${identityId}/images`, form('images', [{ name: `${n}.png`, bytes: drawings[n].bytes, type: 'image/png' }]));
          if (r.status === 201) acked.push({ identityId, bytes: drawings[n].bytes, on });
        } catch {
          // connection reset by the kill: not acknowledged
        } finally {
          if (on === 'A') inFlightA--;
        }
        if (inFlightAtKill < 0 && acked.length >= ACKS_BEFORE_KILL && inFlightA > 0) {
          inFlightAtKill = inFlightA;
          killGroup(a!, 'SIGKILL');
        }
      }
    };
    await Promise.all([writer(), writer()]);
    expect(inFlightAtKill).toBeGreaterThan(0);
    await a!.exited;
    a = null;
    console.info(`[instances] A killed with ${inFlightAtKill} request(s) in flight; ${acked.length} acknowledged, ${acked.filter((x) => x.on === 'A').length} of them by A`);

    for (const x of acked) await expectFound(b.base, c.json.id, x.bytes, x.identityId);

    // Nothing half-stored: every image row has its embedding and its blob row, every blob row its
    // file in the DATA_DIR of the instance that received it.
    const client = openDb(setup.db.target);
    try {
      const collection = await client.collection.findUniqueOrThrow({ where: { id: c.json.id } });
      const images = await client.image.findMany({ where: { collectionId: c.json.id }, include: { embeddings: true, blob: true } });
      expect(images.length).toBeGreaterThanOrEqual(acked.length);
      expect(images.length).toBeLessThanOrEqual(acked.length + inFlightAtKill);
      for (const img of images) expect(img.embeddings.map((e) => e.modelVersion)).toEqual([collection.modelVersion]);
      // The bytes are in the shared database store, whole: one content row per blob with all its chunks.
      const contents = await client.blobContent.findMany({ where: { sha256: { in: images.map((img) => img.blob.sha256) } }, include: { _count: { select: { chunks: true } } } });
      const stored = new Map(contents.map((x) => [x.sha256, x]));
      for (const img of images) expect(stored.get(img.blob.sha256)?._count.chunks).toBe(stored.get(img.blob.sha256)?.chunkCount);
      for (const dir of [setup.dataDir, dataDirB]) expect(existsSync(path.join(dir, 'blobs')) ? listFiles(path.join(dir, 'blobs')) : []).toEqual([]);
    } finally {
      await client.$disconnect();
    }

    // A restarts, catches up from the change log, and answers every search exactly as B does.
    a = await startServer(envA, portA, READY_TIMEOUT_MS);
    for (const x of acked) {
      const [onA, onB] = [await expectFound(a.base, c.json.id, x.bytes, x.identityId), await expectFound(b.base, c.json.id, x.bytes, x.identityId)];
      expect(onA).toEqual(onB);
    }
  }, 600_000);

  it('a job survives its instance: leases expire on B, B resumes the switch, retrains and promotes, and both instances follow', async () => {
    const created = await Promise.all(['switching', 'retraining'].map((name) => api(a!.base, 'POST', '/api/collections', { name, kind: 'object', domain: 'drawings' })));
    const [switching, retraining] = created.map((r) => r.json.id as string);
    const switchChars = gallery('Bengali', 16, 16);
    const retrainChars = gallery('Greek', 8, 5);
    for (const [id, chars] of [[switching, switchChars], [retraining, retrainChars]] as const) {
      const imported = await api(a!.base, 'POST', `/api/collections/${id}/import`, form('archive', [{ name: 'g.zip', bytes: zipOf(chars) }]));
      expect(imported.status).toBe(200);
      expect(imported.json.rejected).toEqual([]);
    }
    const total = switchChars.length * 16;
    const oldVersion: string = created[0].json.modelVersion;

    // On A: a retrain, and a promote killed halfway through re-embedding.
    const retrainA = await api(a!.base, 'POST', `/api/collections/${retraining}/retrain`, { epochs: 2, stepsPerEpoch: 5 });
    expect(retrainA.status).toBe(201);
    const switchA = await api(a!.base, 'POST', `/api/collections/${switching}/promote`, { modelVersion: CANDIDATE });
    expect(switchA.status).toBe(202);
    await pollJob(api, a!.base, switchA.json.id, (j) => j.progress?.phase === 'embedding' && j.progress.done > 0 && j.progress.done < j.progress.total, 120_000, 50);
    expect(['queued', 'running']).toContain((await api(a!.base, 'GET', `/api/jobs/${retrainA.json.id}`)).json.status);
    killGroup(a!, 'SIGKILL');
    await a!.exited;
    a = null;

    // B sees both jobs running until their leases (renewed by A's last heartbeat) expire, then interrupted.
    const client = openDb(setup.db.target);
    let embeddedAtKill: number;
    let expiries: Map<string, number>;
    try {
      const rows = await client.job.findMany({ where: { id: { in: [switchA.json.id, retrainA.json.id] } } });
      expiries = new Map(rows.map((r) => [r.id, r.leaseExpiresAt!.getTime()]));
      embeddedAtKill = await client.embedding.count({ where: { modelVersion: CANDIDATE, image: { collectionId: switching } } });
    } finally {
      await client.$disconnect();
    }
    // Both jobs polled together: every reply before a lease's expiry says running, the first
    // `interrupted` arrives after it (not before) and within a heartbeat and some slack (once it expires).
    const pending = new Map([...expiries.keys()].map((id) => [id, { sawRunning: false }]));
    while (pending.size > 0) {
      for (const [jobId, state] of pending) {
        const expiry = expiries.get(jobId)!;
        const sent = Date.now();
        const r = await api(b.base, 'GET', `/api/jobs/${jobId}`);
        const received = Date.now();
        expect(sent).toBeLessThanOrEqual(expiry + NOTICE_SLACK_MS);
        if (r.json.status === 'interrupted') {
          expect(r.json.error).toContain('lease expired');
          expect(received).toBeGreaterThan(expiry);
          expect(state.sawRunning).toBe(true);
          pending.delete(jobId);
        } else {
          expect(['queued', 'running']).toContain(r.json.status);
          if (received < expiry) state.sawRunning = true;
        }
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(embeddedAtKill).toBeGreaterThan(0);
    expect(embeddedAtKill).toBeLessThan(total);

    // B resumes the switch (only the missing embeddings) and retrains, while A restarts.
    const restartA = startServer(envA, portA, READY_TIMEOUT_MS);
    const switchB = await api(b.base, 'POST', `/api/collections/${switching}/promote`, { modelVersion: CANDIDATE });
    expect(switchB.status).toBe(202);
    const retrainB = await api(b.base, 'POST', `/api/collections/${retraining}/retrain`, { epochs: 2, stepsPerEpoch: 5 });
    expect(retrainB.status).toBe(201);
    const switched = await pollJob(api, b.base, switchB.json.id, (j) => j.status === 'succeeded', 300_000, 500);
    expect(switched.result).toMatchObject({ from: oldVersion, to: CANDIDATE, embedded: total - embeddedAtKill });
    const trained = await pollJob(api, b.base, retrainB.json.id, (j) => j.status === 'succeeded', 300_000, 500);
    const candidate: string = trained.result.candidateVersion;
    a = await restartA;
    const probe = switchChars[3];
    const probeId = (await api(b.base, 'GET', `/api/collections/${switching}/identities?q=${encodeURIComponent(probe[0])}`)).json.items[0].id as string;
    for (const server of [a, b]) expect((await expectFound(server.base, switching, probe[1][2], probeId)).modelVersion).toBe(CANDIDATE);

    // The model retrained on B reaches A through the shared store (its files are in the database).
    const target = retrainChars[2];
    const targetId = (await api(b.base, 'GET', `/api/collections/${retraining}/identities?q=${encodeURIComponent(target[0])}`)).json.items[0].id as string;
    const promote = await api(b.base, 'POST', `/api/collections/${retraining}/promote`, { modelVersion: candidate });
    expect(promote.status).toBe(202);
    // A client alternates searches between A and B through the promote: each reply is of one version
    // (its query and its index agree: distance 0 to the same drawing), and no instance goes back.
    const seen = { A: [] as string[], B: [] as string[] };
    let done = false;
    const finished = pollJob(api, b.base, promote.json.id, (j) => j.status === 'succeeded', 300_000, 300).finally(() => (done = true));
    for (let i = 0, after = 0; after < 4; i++) {
      if (done) after++;
      const [name, server] = i % 2 === 0 ? (['A', a] as const) : (['B', b] as const);
      const reply = await expectFound(server.base, retraining, target[1][0], targetId);
      expect([oldVersion, candidate]).toContain(reply.modelVersion);
      const versions = seen[name];
      if (versions.at(-1) === candidate) expect(reply.modelVersion).toBe(candidate);
      versions.push(reply.modelVersion);
    }
    await finished;
    expect(seen.A.at(-1)).toBe(candidate);
    expect(seen.B.at(-1)).toBe(candidate);
    console.info(`[instances] replies during the promote: A ${seen.A.join(',')}; B ${seen.B.join(',')}`);
  }, 900_000);
});
