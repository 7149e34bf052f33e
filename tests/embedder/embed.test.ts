import { beforeAll, describe, expect, it } from 'vitest';
import { initTf, type Tf } from '@/lib/embedder/backend';
import { embedBatch } from '@/lib/embedder/embed';
import { buildTower, type TowerSpec } from '@/lib/embedder/tower';
import { createRng } from '@/lib/training/rng';

let tf: Tf;
beforeAll(async () => {
  ({ tf } = await initTf('wasm'));
});

const SPEC: TowerSpec = { type: 'conv', inputSizePx: 28, channels: 1, filters: [8, 8], embeddingDim: 8 };

describe('embedBatch', () => {
  it('gives the same embeddings whatever the batch size, and leaves numTensors flat', async () => {
    const model = buildTower(tf, SPEC, 1);
    const rng = createRng(5);
    const inputs = Array.from({ length: 7 }, () => Float32Array.from({ length: 784 }, () => rng.next()));
    const before = tf.memory().numTensors;
    const a = await embedBatch(tf, model, inputs, [28, 28, 1], 3);
    expect(tf.memory().numTensors).toBe(before);
    const b = await embedBatch(tf, model, inputs, [28, 28, 1], 256);
    expect(a).toHaveLength(7);
    a.forEach((e, i) => {
      expect(e).toHaveLength(8);
      e.forEach((v, k) => expect(v).toBeCloseTo(b[i][k], 5));
    });
    model.dispose();
  });

  it('rejects inputs of the wrong length with embedding_dim_mismatch', async () => {
    const model = buildTower(tf, SPEC, 1);
    await expect(embedBatch(tf, model, [new Float32Array(10)], [28, 28, 1])).rejects.toMatchObject({ code: 'embedding_dim_mismatch' });
    model.dispose();
  });
});
