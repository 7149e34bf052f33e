// Embedding runs in worker threads: 1,000 searches leave the workers' tf.memory().numTensors
// flat, the request thread's event loop keeps turning while a worker embeds, and a worker
// that exits is replaced (the request in flight fails 503, the queued ones are sent again).
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOmniglotEntries, type OmniglotEntry } from '@/lib/datasets/omniglot';
import { EMBED_BATCH_SIZE } from '@/lib/embedder/embed';
import { startEmbeddingPool } from '@/lib/matching/runtime/embedding-pool';
import { startEmbeddingWorker } from '@/lib/matching/runtime/embedding-worker';
import { OMNIGLOT_ZIP, startDefaultHarness, type Harness } from './harness';

const ADMIN = { actor: 'system', role: 'admin' as const, collectionId: null };
let h: Harness;
let drawings: OmniglotEntry[];
let collectionId: string;

beforeAll(async () => {
  h = await startDefaultHarness();
  drawings = readOmniglotEntries(new Uint8Array(readFileSync(OMNIGLOT_ZIP)), ['Hebrew']).filter((e) => e.drawer <= 4);
  collectionId = (await h.svc.createCollection(ADMIN, { name: 'memory', kind: 'object', domain: 'drawings' })).id;
  const id = (await h.svc.createIdentity(ADMIN, collectionId, { name: 'x' })).id;
  await h.svc.enrollImages(ADMIN, id, drawings.slice(0, 20).map((d) => ({ name: d.path, bytes: d.bytes })));
});

afterAll(async () => {
  await h?.stop();
});

describe('embedding worker', () => {
  it('keeps numTensors flat over 1,000 searches', async () => {
    const { embedder } = h.svc.getRuntime();
    // Warm-up of every worker of the pool (lazily created kernels and weights): searches sent
    // together find the first worker busy and go to the next.
    await Promise.all(drawings.slice(20, 40).map((d) => h.svc.search(ADMIN, collectionId, d.bytes)));
    const before = await embedder.debugMemory();
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) {
      const res = await h.svc.search(ADMIN, collectionId, drawings[20 + (i % 40)].bytes, { k: 5 });
      expect(res.results[0].neighbours.length).toBeGreaterThan(0);
    }
    const ms = performance.now() - t0;
    const after = await embedder.debugMemory();
    console.info(`[test] 1000 searches in ${Math.round(ms)} ms (${(ms / 1000).toFixed(1)} ms each); numTensors ${before.numTensors} -> ${after.numTensors}`);
    expect(before.numTensors).toBeGreaterThan(0); // the model's weights live in the worker
    expect(after).toEqual(before);
  });

  it('leaves the request thread responsive while it embeds a large batch', async () => {
    const { embedder, models } = h.svc.getRuntime();
    const m = models.get('object')!.manifest;
    const size = m.input.type === 'image' ? m.input.preprocess.inputSizePx ** 2 * m.input.preprocess.channels : m.input.dim;
    const forwardPasses = 4;
    const inputs = Array.from({ length: forwardPasses * EMBED_BATCH_SIZE }, (_, i) => new Float32Array(size).fill((i % 10) / 10));
    // Counts this thread's event-loop turns while the call is pending: work done, not time taken.
    // Embedding here would hold the loop for each whole forward pass, leaving at most a turn or two
    // between passes; in the worker, this thread turns freely while every pass runs.
    let turns = 0;
    let pending = true;
    const turn = (): void => {
      if (!pending) return;
      turns++;
      setImmediate(turn);
    };
    setImmediate(turn);
    const out = await embedder.embed(m.version, inputs).finally(() => {
      pending = false;
    });
    console.info(`[test] ${inputs.length} embeddings (${forwardPasses} forward passes): ${turns} event-loop turns here, ${Math.round(turns / forwardPasses)} per pass`);
    expect(out).toHaveLength(inputs.length);
    expect(turns).toBeGreaterThan(20 * forwardPasses);
  });

  it('reports a typed error for an unknown model version', async () => {
    await expect(h.svc.getRuntime().embedder.embed('no-such-model', [new Float32Array(4)])).rejects.toMatchObject({ code: 'model_not_loaded' });
  });
});

describe('embedding worker restart', () => {
  it('fails the request in flight with embedder_restarting, sends the queued ones again, and comes back', async () => {
    const { embedder, models } = h.svc.getRuntime();
    const m = models.get('object')!.manifest;
    const size = m.input.type === 'image' ? m.input.preprocess.inputSizePx ** 2 * m.input.preprocess.channels : m.input.dim;
    const queuedInputs = [0.2, 0.7].map((v) => [new Float32Array(size).fill(v)]);
    const expected = await Promise.all(queuedInputs.map((x) => embedder.embed(m.version, x)));
    const restartsBefore = embedder.restarts;

    // Ordering, not a duration: the worker exits at its next turn of the event loop, before it can
    // answer the batch posted just before (12 forward passes); that batch fails as the one in flight.
    const inFlight = embedder.embed(m.version, Array.from({ length: 3000 }, () => new Float32Array(size)));
    const queued = queuedInputs.map((x) => embedder.embed(m.version, x));
    await embedder.debugKill();
    expect(embedder.state).toBe('restarting');
    expect(h.svc.runtimeStatus()).toMatchObject({ status: 'degraded', error: expect.stringContaining('restarting') });
    await expect(inFlight).rejects.toMatchObject({ code: 'embedder_restarting', message: expect.stringContaining('exited with code 1 while handling this request') });
    expect(await Promise.all(queued)).toEqual(expected);

    await embedder.whenReady();
    expect(embedder.state).toBe('ready');
    expect(embedder.restarts).toBe(restartsBefore + 1);
    expect(h.svc.runtimeStatus().status).toBe('ready');
    const res = await h.svc.search(ADMIN, collectionId, drawings[21].bytes, { k: 5 });
    expect(res.results[0].neighbours.length).toBeGreaterThan(0);
  });

  it('survives crashes in the middle of ONNX Runtime runs, and serves after each', async () => {
    // Worker.terminate() during onnxruntime-node's synchronous run() aborted the whole process
    // ('Napi::Error'), in 10 of 11 kills of a standalone run; this file's process would die with it.
    const object = h.svc.getRuntime().models.get('object')!;
    const m = object.manifest;
    const size = m.input.type === 'image' ? m.input.preprocess.inputSizePx ** 2 * m.input.preprocess.channels : m.input.dim;
    const pool = await startEmbeddingWorker({ backend: 'wasm', inference: 'onnx', models: [{ kind: 'object', version: m.version, dir: object.dir }] });
    try {
      const probe = [new Float32Array(size).fill(0.4)];
      const expected = await pool.embed(m.version, probe);
      // Waits that only move the crash to other points of the 12 forward passes: no time is asserted.
      for (const waitMs of [0, 10, 40, 120, 300]) {
        const inFlight = pool.embed(m.version, Array.from({ length: 12 * EMBED_BATCH_SIZE }, (_, i) => new Float32Array(size).fill((i % 7) / 7)));
        await new Promise((r) => setTimeout(r, waitMs));
        await pool.debugKill();
        await expect(inFlight).rejects.toMatchObject({ code: 'embedder_restarting' });
        await pool.whenReady();
        expect(await pool.embed(m.version, probe)).toEqual(expected);
      }
      expect(pool.restarts).toBe(5);
    } finally {
      await pool.close();
    }
  });

  it('rejects requests while a restart fails, tries again, and serves once the restart succeeds', async () => {
    const object = h.svc.getRuntime().models.get('object')!;
    const base = mkdtempSync(path.join(tmpdir(), 'pool-restart-'));
    const dir = path.join(base, 'model');
    cpSync(object.dir, dir, { recursive: true });
    // A pool of its own, with a model loaded after start: a restarted worker must load it again.
    const pool = await startEmbeddingWorker({ backend: 'wasm', inference: 'auto', models: [{ kind: 'object', version: object.manifest.version, dir: object.dir }] });
    try {
      await pool.load({ kind: 'object', version: 'copy', dir });
      const input = [new Float32Array(object.manifest.input.type === 'image' ? object.manifest.input.preprocess.inputSizePx ** 2 * object.manifest.input.preprocess.channels : object.manifest.input.dim).fill(0.5)];
      const expected = await pool.embed('copy', input);

      renameSync(dir, `${dir}.away`); // the restarted worker cannot load 'copy': its start fails
      await pool.debugKill();
      await expect(pool.embed('copy', input)).rejects.toMatchObject({ code: 'embedder_restarting', message: expect.stringContaining('failed to restart') });
      expect(pool.state).toBe('restarting');

      renameSync(`${dir}.away`, dir);
      await pool.whenReady();
      expect(await pool.embed('copy', input)).toEqual(expected);
      expect(pool.restarts).toBe(1);
    } finally {
      await pool.close();
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('sends again alone each request of a micro-batch whose worker exited, and fails none of them', async () => {
    const object = h.svc.getRuntime().models.get('object')!;
    const m = object.manifest;
    const size = m.input.type === 'image' ? m.input.preprocess.inputSizePx ** 2 * m.input.preprocess.channels : m.input.dim;
    const pool = await startEmbeddingPool({ workers: 1, backend: 'wasm', inference: 'auto', models: [{ kind: 'object', version: m.version, dir: object.dir }], batchWindowMs: 1, maxBatchInputs: 2 * EMBED_BATCH_SIZE });
    try {
      const small = [0.3, 0.6].map((v) => Array.from({ length: Math.ceil(0.6 * EMBED_BATCH_SIZE) }, () => new Float32Array(size).fill(v)));
      const expected = await Promise.all(small.map((x) => pool.embed(m.version, x)));
      // The first request (the cap's inputs: sent alone at once) holds the one worker; the two behind
      // it share a window and leave together as one micro-batch (two forward passes) the moment it
      // answers; the worker exits at a turn of its loop before that batch's second pass has answered.
      const first = pool.embed(m.version, Array.from({ length: 2 * EMBED_BATCH_SIZE }, () => new Float32Array(size)));
      const batched = small.map((x) => pool.embed(m.version, x));
      await first;
      await new Promise((r) => setImmediate(r));
      await pool.debugKill();
      const out = await Promise.all(batched);
      for (const [i, rows] of out.entries()) {
        // Another batch composition may round differently in the last bits.
        for (const [j, e] of rows.entries()) expect(Math.max(...e.map((x, d) => Math.abs(x - expected[i][j][d])))).toBeLessThan(1e-5);
      }
      expect(pool.restarts).toBe(1);
    } finally {
      await pool.close();
    }
  });
});
