import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTf, type Tf } from '@/lib/embedder/backend';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { embedBatch } from '@/lib/embedder/embed';
import { buildTower, mergeTowers, towerInputShape, towerOutputDim, type ConvSpec, type TowerSpec } from '@/lib/embedder/tower';
import { loadLayersModel, saveLayersModel } from '@/lib/embedder/weights';
import { createRng } from '@/lib/calibration/rng';

let tf: Tf;
beforeAll(async () => {
  ({ tf } = await initTf('wasm'));
});

const CONV: TowerSpec = { type: 'conv', inputSizePx: 28, channels: 1, filters: [8, 8], embeddingDim: 8 };
const MLP: TowerSpec = { type: 'mlp', inputDim: 16, hidden: [12], embeddingDim: 8 };

describe('buildTower', () => {
  it.each([
    { name: 'conv', spec: CONV },
    { name: 'mlp', spec: MLP },
    { name: 'mlp without hidden layers', spec: { ...MLP, hidden: [] } as TowerSpec },
  ])('$name: outputs unit-length embeddings of embeddingDim', async ({ spec }) => {
    const model = buildTower(tf, spec, 3);
    const x = tf.randomUniform([5, ...towerInputShape(spec)], 0, 1, 'float32', 7);
    const y = model.predict(x) as ReturnType<Tf['tensor2d']>;
    expect(y.shape).toEqual([5, 8]);
    const norms = Array.from(await y.square().sum(1).sqrt().data());
    for (const n of norms) expect(n).toBeCloseTo(1, 5);
    x.dispose();
    y.dispose();
    model.dispose();
  });

  it('identity: no weights, embedding = x / ||x|| (a raw feature as a model), and it survives save/load', async () => {
    const spec: TowerSpec = { type: 'mlp', inputDim: 8, hidden: [], embeddingDim: 8, identity: true };
    const model = buildTower(tf, spec, 1);
    expect(model.getWeights()).toHaveLength(0);
    expect(towerOutputDim(spec)).toBe(8);
    const x = Float32Array.from([3, 4, 0, 0, 0, 0, 0, 0]);
    const [y] = await embedBatch(tf, model, [x], towerInputShape(spec));
    // [3, 4, 0, ...] / 5
    expect(Array.from(y)).toEqual([0.6, 0.8, 0, 0, 0, 0, 0, 0].map((v) => expect.closeTo(v, 6)));
    const dir = await mkdtemp(path.join(tmpdir(), 'tower-identity-'));
    try {
      await saveLayersModel(dir, model);
      const loaded = await loadLayersModel(tf, dir);
      expect(Array.from((await embedBatch(tf, loaded, [x], towerInputShape(spec)))[0])).toEqual(Array.from(y));
      loaded.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    model.dispose();
  });

  it('is reproducible from the seed and differs across seeds', async () => {
    const first = async (seed: number) => {
      const m = buildTower(tf, CONV, seed);
      const w = Array.from(await m.getWeights()[0].data()).slice(0, 10);
      m.dispose();
      return w;
    };
    expect(await first(1)).toEqual(await first(1));
    expect(await first(1)).not.toEqual(await first(2));
  });
});

describe('mergeTowers', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ensemble-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('joins towers (input sides 28 and 24: the smaller one resized) into one whose squared distances are the mean of the members\', and that survives save/load', async () => {
    const big = { ...CONV, batchNorm: true, testShifts: true } as ConvSpec;
    const small = { ...CONV, inputSizePx: 24 } as ConvSpec;
    const a = buildTower(tf, big, 1);
    const b = buildTower(tf, small, 2);
    const rng = createRng(3);
    const inputs = Array.from({ length: 6 }, () => Float32Array.from({ length: 28 * 28 }, () => rng.next()));
    const resized = inputs.map((x) => tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(x, [28, 28, 1]), [24, 24], true).dataSync() as Float32Array));
    const [ea, eb] = [await embedBatch(tf, a, inputs, [28, 28, 1]), await embedBatch(tf, b, resized, [24, 24, 1])];
    const { model: merged, spec } = mergeTowers(tf, [{ model: a, spec: big }, { model: b, spec: small }]);
    a.dispose();
    b.dispose();
    expect(spec).toEqual({ type: 'ensemble', inputSizePx: 28, channels: 1, members: [{ ...CONV, batchNorm: true }, small] });
    const joined = await embedBatch(tf, merged, inputs, towerInputShape(spec));
    expect(joined[0]).toHaveLength(towerOutputDim(spec));
    const d2 = (x: Float32Array, y: Float32Array) => x.reduce((s, v, k) => s + (v - y[k]) ** 2, 0);
    for (let i = 1; i < inputs.length; i++) {
      expect(d2(joined[0], joined[i])).toBeCloseTo((d2(ea[0], ea[i]) + d2(eb[0], eb[i])) / 2, 5);
    }
    await saveLayersModel(path.join(dir, 'm'), merged);
    merged.dispose();
    const loaded = await loadLayersModel(tf, path.join(dir, 'm'));
    expect(await embedBatch(tf, loaded, inputs, towerInputShape(spec))).toEqual(joined);
    loaded.dispose();
  });
});
