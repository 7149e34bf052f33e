import { beforeAll, describe, expect, it } from 'vitest';
import { initTf, type Tf } from '@/lib/embedder/backend';
import { buildTower, towerInputShape, type TowerSpec } from '@/lib/embedder/tower';

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
