// The Keras-prefix exporter (lib/embedder/onnx-keras.ts) on a small functional network with every
// layer kind it exports (a zero padding merged into a stride-2 valid convolution, batch norms
// folded into a convolution and a depthwise one, ReLU6 and ReLU, a 'same' 1x1 projection with bias,
// a residual Add): ONNX Runtime matches TF.js's pooled output to 1e-5; a layer it cannot export is
// refused with onnx_export_unsupported.
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@/lib/calibration/rng';
import { initTf, type LayersModel, type Tensor, type Tf } from '@/lib/embedder/backend';
import { ONNX_INPUT, ONNX_OUTPUT } from '@/lib/embedder/onnx-export';
import { exportKerasPrefixOnnx, kerasLayers } from '@/lib/embedder/onnx-keras';
import { openOnnxSession } from '@/lib/embedder/onnx-runtime';
import { TEST_BACKEND } from '../helpers/backend';

const SIDE = 13;
let tf: Tf;
beforeAll(async () => {
  ({ tf } = await initTf(TEST_BACKEND));
});

/** Gives every weight seeded values (batch-norm variances positive), so no fold is the identity. */
function randomise(model: LayersModel, seed: number): void {
  const rng = createRng(seed);
  for (const layer of model.layers) {
    const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
    layer.setWeights(layer.weights.map((v) => tf.tensor(Float32Array.from({ length: size(v.shape as number[]) }, () => (v.name.includes('variance') ? 0.5 + rng.next() : rng.next() * 2 - 1)), v.shape as number[])));
  }
}

/** input 13x13x3 → pad → conv s2 → BN → ReLU6 → depthwise → BN → ReLU → 1x1 conv (bias) → BN → Add(ReLU6 output) → `cut`. */
function network(extra?: 'maxPool'): LayersModel {
  const input = tf.input({ shape: [SIDE, SIDE, 3], name: 'in' });
  const padded = tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: 'pad' }).apply(input);
  const conv = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, name: 'conv' }).apply(padded);
  const act = tf.layers.reLU({ maxValue: 6, name: 'relu6' }).apply(tf.layers.batchNormalization({ name: 'conv_bn' }).apply(conv));
  const pooled = extra === 'maxPool' ? tf.layers.maxPooling2d({ poolSize: 1, name: 'pool' }).apply(act) : act;
  const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'dw' }).apply(pooled);
  const dwAct = tf.layers.reLU({ name: 'relu' }).apply(tf.layers.batchNormalization({ name: 'dw_bn' }).apply(dw));
  const project = tf.layers.batchNormalization({ name: 'project_bn' }).apply(tf.layers.conv2d({ filters: 6, kernelSize: 1, padding: 'same', useBias: true, name: 'project' }).apply(dwAct));
  const sum = tf.layers.add({ name: 'add' }).apply([project, pooled] as never) as never;
  return tf.model({ inputs: input, outputs: sum });
}

describe('exportKerasPrefixOnnx', () => {
  it('pools the cut layer as TF.js does, to 1e-5, with every exported layer kind on the way', async () => {
    const model = network();
    randomise(model, 7);
    const rng = createRng(8);
    const n = 5;
    const inputs = Float32Array.from({ length: n * SIDE * SIDE * 3 }, () => rng.next());
    const expected = tf.tidy(() => (model.predict(tf.tensor4d(inputs, [n, SIDE, SIDE, 3])) as Tensor).mean([1, 2]).dataSync() as Float32Array);
    const session = await openOnnxSession(exportKerasPrefixOnnx(kerasLayers(model), 'add', { side: SIDE, channels: 3, dim: 6 }), { inputName: ONNX_INPUT, outputName: ONNX_OUTPUT });
    const got = await session.run(inputs, [n, SIDE, SIDE, 3]);
    await session.release();
    expect(got).toHaveLength(n * 6);
    expect(Math.max(...expected.map((v) => Math.abs(v))), 'the pooled output is not all zeros').toBeGreaterThan(0.1);
    expect(Math.max(...got.map((v, i) => Math.abs(v - expected[i])))).toBeLessThanOrEqual(1e-5);
    model.dispose();
  });

  it('refuses a layer it has no export for, naming it (onnx_export_unsupported)', () => {
    const model = network('maxPool');
    expect(() => exportKerasPrefixOnnx(kerasLayers(model), 'add', { side: SIDE, channels: 3, dim: 6 })).toThrow(expect.objectContaining({ code: 'onnx_export_unsupported', message: expect.stringContaining('layer pool (MaxPooling2D)') }));
    model.dispose();
  });
});
