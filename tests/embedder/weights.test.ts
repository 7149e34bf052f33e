import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTf, type Tf } from '@/lib/embedder/backend';
import { embedBatch } from '@/lib/embedder/embed';
import type { ModelManifest } from '@/lib/embedder/manifest';
import { buildTower, type TowerSpec } from '@/lib/embedder/tower';
import { decodeNamedTensors, encodeNamedTensors, loadModel, saveModel } from '@/lib/embedder/weights';
import { calibrate } from '@/lib/calibration';
import { createRng } from '@/lib/calibration/rng';

let tf: Tf;
let dir: string;
beforeAll(async () => {
  ({ tf } = await initTf('wasm'));
  dir = await mkdtemp(path.join(tmpdir(), 'weights-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SPEC: TowerSpec = { type: 'conv', inputSizePx: 28, channels: 1, filters: [8, 8], embeddingDim: 8 };

function manifestFor(embeddingDim: number): ModelManifest {
  return {
    format: 1, version: 'test-2026-01-01-abcd', kind: 'object',
    input: { type: 'image', preprocess: { inputSizePx: 28, channels: 1, invert: true, fit: 'fill' } },
    architecture: { ...SPEC }, embeddingDim, metric: 'euclidean',
    calibration: calibrate([0.1, 0.2, 0.3], [0.9, 1.0, 1.1, 1.2]),
    data: { source: 'test', train: ['a'], heldOut: ['b'], identities: { train: 1, heldOut: 1 } },
    seed: 1, config: {}, metrics: {}, lossHistory: [{ epoch: 1, loss: 0.5 }], pairsPerSecond: 1, backend: 'wasm',
    trainingSeconds: 1, createdAt: '2026-01-01T00:00:00.000Z', plots: [],
  };
}

describe('saveModel / loadModel', () => {
  it('round-trips to identical embeddings and the same manifest', async () => {
    const model = buildTower(tf, SPEC, 4);
    const rng = createRng(2);
    const inputs = Array.from({ length: 5 }, () => Float32Array.from({ length: 784 }, () => rng.next()));
    const expected = await embedBatch(tf, model, inputs, [28, 28, 1]);
    const out = path.join(dir, 'rt');
    await saveModel(out, model, manifestFor(8));
    model.dispose();
    const loaded = await loadModel(out);
    expect(loaded.manifest.version).toBe('test-2026-01-01-abcd');
    const before = tf.memory().numTensors;
    const got = await loaded.embed(inputs);
    expect(tf.memory().numTensors).toBe(before);
    expect(got).toEqual(expected);
    loaded.dispose();
  });

  it('embeds with test-time shifts when the manifest\'s architecture asks for them', async () => {
    const model = buildTower(tf, SPEC, 4);
    const rng = createRng(3);
    const inputs = Array.from({ length: 3 }, () => Float32Array.from({ length: 784 }, () => rng.next()));
    const expected = await embedBatch(tf, model, inputs, [28, 28, 1], { testShifts: true });
    const out = path.join(dir, 'shifts');
    await saveModel(out, model, { ...manifestFor(8), architecture: { ...SPEC, testShifts: true } });
    model.dispose();
    const loaded = await loadModel(out);
    expect(await loaded.embed(inputs)).toEqual(expected);
    loaded.dispose();
  });

  it('refuses a manifest whose embeddingDim disagrees with the network', async () => {
    const model = buildTower(tf, SPEC, 4);
    const out = path.join(dir, 'bad');
    await saveModel(out, model, manifestFor(16));
    model.dispose();
    await expect(loadModel(out)).rejects.toMatchObject({ code: 'embedding_dim_mismatch' });
  });

  it('reports a missing folder as model_not_found', async () => {
    await expect(loadModel(path.join(dir, 'nope'))).rejects.toMatchObject({ code: 'model_not_found' });
  });
});

describe('encodeNamedTensors / decodeNamedTensors', () => {
  it('round-trips names, shapes and values', async () => {
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    const enc = await encodeNamedTensors(tf, [{ name: 'x/m', tensor: a }]);
    const dec = decodeNamedTensors(tf, enc.specs, enc.data);
    expect(dec.map((d) => d.name)).toEqual(['x/m']);
    expect(dec[0].tensor.shape).toEqual([2, 2]);
    expect(Array.from(await dec[0].tensor.data())).toEqual([1, 2, 3, 4]);
    a.dispose();
    dec[0].tensor.dispose();
  });
});
