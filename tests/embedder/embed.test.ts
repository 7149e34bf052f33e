import { beforeAll, describe, expect, it } from 'vitest';
import { initTf, type Tf } from '@/lib/embedder/backend';
import { embedBatch } from '@/lib/embedder/embed';
import { buildTower, type TowerSpec } from '@/lib/embedder/tower';
import { createRng } from '@/lib/calibration/rng';

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
    const a = await embedBatch(tf, model, inputs, [28, 28, 1], { batchSize: 3 });
    expect(tf.memory().numTensors).toBe(before);
    const b = await embedBatch(tf, model, inputs, [28, 28, 1], { batchSize: 256 });
    expect(a).toHaveLength(7);
    a.forEach((e, i) => {
      expect(e).toHaveLength(8);
      e.forEach((v, k) => expect(v).toBeCloseTo(b[i][k], 5));
    });
    model.dispose();
  });

  it('with test-time shifts: the normalised mean of the embeddings of the image and its four 1-pixel shifts', async () => {
    const model = buildTower(tf, SPEC, 2);
    const rng = createRng(6);
    const inputs = Array.from({ length: 3 }, () => Float32Array.from({ length: 784 }, () => rng.next()));
    // Shifts written out pixel by pixel, independently of the tensor code.
    const move = (img: Float32Array, dy: number, dx: number) =>
      img.map((_, i) => {
        const [y, x] = [Math.floor(i / 28) - dy, (i % 28) - dx];
        return y >= 0 && y < 28 && x >= 0 && x < 28 ? img[y * 28 + x] : 0;
      });
    const moves = [[0, 0], [0, 1], [0, -1], [1, 0], [-1, 0]];
    const each = await Promise.all(moves.map(([dy, dx]) => embedBatch(tf, model, inputs.map((img) => move(img, dy, dx)), [28, 28, 1])));
    const before = tf.memory().numTensors;
    const got = await embedBatch(tf, model, inputs, [28, 28, 1], { testShifts: true });
    expect(tf.memory().numTensors).toBe(before);
    got.forEach((e, i) => {
      const sum = each.reduce((acc, emb) => acc.map((v, k) => v + emb[i][k]), new Float32Array(8));
      const norm = Math.hypot(...sum);
      e.forEach((v, k) => expect(v).toBeCloseTo(sum[k] / norm, 5));
    });
    expect(got[0]).not.toEqual(each[0][0]);
    await expect(embedBatch(tf, model, inputs, [784], { testShifts: true })).rejects.toMatchObject({ code: 'invalid_config' });
    model.dispose();
  });

  it('rejects inputs of the wrong length with embedding_dim_mismatch', async () => {
    const model = buildTower(tf, SPEC, 1);
    await expect(embedBatch(tf, model, [new Float32Array(10)], [28, 28, 1])).rejects.toMatchObject({ code: 'embedding_dim_mismatch' });
    model.dispose();
  });
});
