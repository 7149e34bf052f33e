import { beforeAll, describe, expect, it } from 'vitest';
import { initTf, type Tensor, type Tf } from '@/lib/embedder/backend';
import { registerTensorflowTrainingKernels } from '@/lib/embedder/tensorflow-kernels';
import { buildTower } from '@/lib/embedder/tower';
import { TEST_BACKEND } from '../helpers/backend';
import { relativeError, runOnBackend } from '../helpers/backend-reference';

// The tensorflow backend's training kernels (lib/embedder/tensorflow-kernels.ts) against the cpu
// backend running TF.js's own compositions (the reference; cpu is used for nothing else). Runs on
// tfjs-node only: `ML_BACKEND=tensorflow npx vitest run tests/embedder/tensorflow-kernels.test.ts`
// once `npm run build:tfjs-node` has built it (npm test runs it so where it loads).
const ON_TENSORFLOW = TEST_BACKEND === 'tensorflow';
const SKIP = '(skipped unless ML_BACKEND=tensorflow and @tensorflow/tfjs-node is built)';

let tf: Tf;

beforeAll(async () => {
  if (ON_TENSORFLOW) ({ tf } = await initTf('tensorflow'));
});

/** Runs `fn` on `backend` and returns its outputs' values. */
const runOn = async (backend: 'cpu' | 'tensorflow', fn: () => Tensor[]) => (await runOnBackend(tf, backend, 'tensorflow', fn)).map((o) => o.values);

describe('tensorflow training kernels', () => {
  it.skipIf(!ON_TENSORFLOW)(`registers once: a second call changes nothing ${SKIP}`, () => {
    expect(registerTensorflowTrainingKernels(tf)).toEqual([]);
  });

  it.skipIf(!ON_TENSORFLOW)(`Step gives TF.js's values, NaN and infinities included ${SKIP}`, async () => {
    const x = [-2, -0, 0, 1e-30, 3, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1e-30];
    for (const alpha of [0, 0.2]) {
      const fn = () => [tf.step(tf.tensor1d(x), alpha)];
      const [want] = await runOn('cpu', fn);
      const [got] = await runOn('tensorflow', fn);
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });

  it.skipIf(!ON_TENSORFLOW)(`batch norm in training: outputs, every gradient and the moving averages match the stock layer ${SKIP}`, async () => {
    const spec = { type: 'conv' as const, inputSizePx: 8, channels: 1, filters: [6, 5], embeddingDim: 7, batchNorm: true };
    const run = () => {
      const model = buildTower(tf, spec, 3);
      const x = tf.randomUniform([10, 8, 8, 1], -1, 1, 'float32', 11);
      const w = tf.randomUniform([10, 7], -1, 1, 'float32', 12);
      const loss = (input: Tensor) => tf.sum(tf.mul(model.apply(input, { training: true }) as Tensor, w));
      const out = model.apply(x, { training: true }) as Tensor;
      const { grads } = tf.variableGrads(() => loss(x) as ReturnType<Tf['scalar']>);
      const dx = tf.grad(loss)(x);
      const names = Object.keys(grads).sort();
      expect(names.filter((n) => /bn\d/.test(n))).toHaveLength(4); // gamma and beta of both layers
      const moving = model.weights.filter((w) => /moving_(mean|variance)/.test(w.name));
      expect(moving).toHaveLength(4);
      const result = [out, dx, ...names.map((n) => grads[n]), ...moving.map((w) => w.read().clone())];
      model.dispose();
      return result;
    };
    const want = await runOn('cpu', run);
    const got = await runOn('tensorflow', run);
    expect(got).toHaveLength(want.length);
    got.forEach((g, i) => expect(relativeError(g, want[i]), `output ${i}`).toBeLessThan(1e-4));
  });
});
