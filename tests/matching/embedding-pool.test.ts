// Micro-batching in the embedding pool (issue 20, item 3): requests sent together within the window
// share forward passes yet get the vectors lone requests get, a batch never holds more than the cap,
// a bad input fails only its own request, a window of 0 sends every request alone, and a window's
// requests are shared among the free workers.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOmniglotEntries } from '@/lib/datasets/omniglot';
import { decodeImage, preprocessImage } from '@/lib/imaging';
import { startEmbeddingPool, type PoolBatch } from '@/lib/matching/runtime/embedding-pool';
import type { EmbeddingWorker } from '@/lib/matching/runtime/embedding-worker';
import { loadDefaultModels } from '@/lib/matching/runtime/model-registry';
import { TEST_BACKEND } from '../helpers/backend';
import { OMNIGLOT_ZIP } from '../helpers/data';
import { committedModelsDir } from '../service/harness';

const CAP = 5;
let version: string;
let dir: string;
/** Preprocessed Omniglot drawings: the object model's real inputs. */
let inputs: Float32Array[];
/** Each input embedded alone (a window of 0). */
let alone: Float32Array[];

/** A pool of `workers` workers (default 1) on the default object model, recording the batches it sends. */
async function startPool(batchWindowMs: number, maxBatchInputs: number, workers = 1): Promise<{ pool: EmbeddingWorker; batches: PoolBatch[] }> {
  const batches: PoolBatch[] = [];
  const pool = await startEmbeddingPool({
    workers, backend: TEST_BACKEND, inference: 'auto', models: [{ kind: 'object', version, dir }], batchWindowMs, maxBatchInputs, onBatch: (b) => batches.push(b),
  });
  return { pool, batches };
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => Math.max(...a.map((x, i) => Math.abs(x - b[i])));

beforeAll(async () => {
  let modelsDir = committedModelsDir();
  if (!modelsDir) {
    const { buildFixtureModels } = await import('../service/fixture-model');
    modelsDir = await buildFixtureModels(OMNIGLOT_ZIP);
  }
  const model = (await loadDefaultModels(modelsDir)).get('object')!;
  ({ version } = model.manifest);
  dir = model.dir;
  const spec = model.manifest.input;
  if (spec.type !== 'image') throw new Error(`the default object model takes ${spec.type} inputs`);
  const drawings = readOmniglotEntries(new Uint8Array(readFileSync(OMNIGLOT_ZIP)), ['Greek']).slice(0, 12);
  inputs = await Promise.all(drawings.map(async (d) => preprocessImage(await decodeImage(d.bytes), spec.preprocess)));
  const { pool, batches } = await startPool(0, CAP);
  try {
    alone = [];
    for (const x of inputs) alone.push((await pool.embed(version, [x]))[0]);
    expect(batches.every((b) => b.requests === 1)).toBe(true);
  } finally {
    await pool.close();
  }
});

describe('startEmbeddingPool micro-batching', () => {
  let pool: EmbeddingWorker;
  let batches: PoolBatch[];
  beforeAll(async () => {
    // A wide window, so that every request below sent in one turn falls in the same window on a loaded machine.
    ({ pool, batches } = await startPool(50, CAP));
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('gives requests sent together the vectors lone requests get, in batches of at most the cap', async () => {
    batches.length = 0;
    // 12 one-input requests and one of 3 inputs: 15 inputs, more than two batches' worth.
    const together = await Promise.all([...inputs.map((x) => pool.embed(version, [x])), pool.embed(version, inputs.slice(0, 3))]);
    for (const [i, out] of together.slice(0, inputs.length).entries()) expect(maxAbsDiff(out[0], alone[i])).toBeLessThan(1e-5);
    for (const [i, e] of together[inputs.length].entries()) expect(maxAbsDiff(e, alone[i])).toBeLessThan(1e-5);
    expect(batches.reduce((n, b) => n + b.requests, 0)).toBe(inputs.length + 1);
    expect(batches.reduce((n, b) => n + b.inputs, 0)).toBe(inputs.length + 3);
    expect(Math.max(...batches.map((b) => b.inputs))).toBeLessThanOrEqual(CAP);
    // Batched for real: fewer calls than requests.
    expect(batches.length).toBeLessThan(inputs.length + 1);
  });

  it('fails only the request whose input is bad, and answers the others of its batch', async () => {
    batches.length = 0;
    const bad = new Float32Array(inputs[0].length + 1);
    const [a, b, c] = await Promise.allSettled([pool.embed(version, [inputs[0]]), pool.embed(version, [bad]), pool.embed(version, [inputs[1]])]);
    expect(b).toMatchObject({ status: 'rejected', reason: { code: 'embedding_dim_mismatch' } });
    expect(a.status === 'fulfilled' && maxAbsDiff(a.value[0], alone[0])).toBeLessThan(1e-5);
    expect(c.status === 'fulfilled' && maxAbsDiff(c.value[0], alone[1])).toBeLessThan(1e-5);
    // The first found the worker free and went at once; the batch of the other two failed as a whole, then each went alone.
    expect(batches.map((x) => x.requests)).toEqual([1, 2, 1, 1]);
  });

  it('sends a request of the cap or more alone, without waiting for the window', async () => {
    batches.length = 0;
    const out = await pool.embed(version, inputs.slice(0, CAP + 1));
    expect(out).toHaveLength(CAP + 1);
    expect(batches).toEqual([{ modelVersion: version, requests: 1, inputs: CAP + 1 }]);
  });
});

describe('startEmbeddingPool with a window of 0', () => {
  it('sends each request alone', async () => {
    const { pool, batches } = await startPool(0, CAP);
    try {
      const together = await Promise.all(inputs.map((x) => pool.embed(version, [x])));
      for (const [i, out] of together.entries()) expect(maxAbsDiff(out[0], alone[i])).toBeLessThan(1e-5);
      expect(batches).toHaveLength(inputs.length);
      expect(batches.every((b) => b.requests === 1 && b.inputs === 1)).toBe(true);
    } finally {
      await pool.close();
    }
  });
});

describe('startEmbeddingPool with two workers', () => {
  it('shares a window of requests among the free workers', async () => {
    // A window long enough for both workers to be free again when it closes, on a loaded machine.
    const { pool, batches } = await startPool(300, 64, 2);
    try {
      // Warm-up: two requests at once, one per free worker (their first call builds the kernels).
      await Promise.all(inputs.slice(0, 2).map((x) => pool.embed(version, [x])));
      batches.length = 0;
      const together = await Promise.all(inputs.slice(0, 8).map((x) => pool.embed(version, [x])));
      for (const [i, out] of together.entries()) expect(maxAbsDiff(out[0], alone[i])).toBeLessThan(1e-5);
      // The first two find a worker free and go at once; the window's other 6 inputs, with both workers
      // free again when it closes: ceil(6 / 2) = 3 each, not 6 on one worker while the other waits.
      expect(batches.map((b) => b.inputs)).toEqual([1, 1, 3, 3]);
    } finally {
      await pool.close();
    }
  });
});
