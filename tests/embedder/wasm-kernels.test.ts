import { beforeAll, describe, expect, it } from 'vitest';
import { initTf, type Tensor, type Tensor4D, type Tf } from '@/lib/embedder/backend';
import { WASM_GRAD_KERNEL_NAMES, registerWasmGradKernels } from '@/lib/embedder/wasm-kernels';
import { relativeError, runOnBackend } from '../helpers/backend-reference';

// Every kernel registered for wasm is checked against the cpu backend's own implementation
// (the reference; cpu is used for nothing else). Max-abs error relative to the reference's
// max-abs must stay below 1e-5 (float32; XNNPACK sums in a different order than cpu).
const REL_TOL = 1e-5;

let tf: Tf;

beforeAll(async () => {
  ({ tf } = await initTf('wasm'));
});

/** mulberry32: a small seeded PRNG, so every run sees the same inputs. */
function seededValues(seed: number, n: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1; // uniform in [-1, 1)
  }
  return out;
}

function randomTensor(seed: number, shape: number[]): Tensor {
  return tf.tensor(seededValues(seed, shape.reduce((a, d) => a * d, 1)), shape);
}

/** Runs `fn` on `backend` and returns its outputs' values. */
const runOn = (backend: 'cpu' | 'wasm', fn: () => Tensor[]) => runOnBackend(tf, backend, 'wasm', fn);

/** Asserts wasm and cpu agree on every output of `fn`. */
async function expectWasmMatchesCpu(fn: () => Tensor[]): Promise<void> {
  const want = await runOn('cpu', fn);
  const got = await runOn('wasm', fn);
  expect(got.map((g) => g.shape)).toEqual(want.map((w) => w.shape));
  for (let i = 0; i < want.length; i++) {
    expect(Math.max(...Array.from(want[i].values, Math.abs))).toBeGreaterThan(0); // a zero reference proves nothing
    expect(relativeError(got[i].values, want[i].values)).toBeLessThan(REL_TOL);
  }
}

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
type ConvCase = { name: string; x: [number, number, number, number]; f: [number, number, number, number]; stride: number | [number, number]; pad: Pad };

describe('registerWasmGradKernels', () => {
  it('registers every missing kernel on wasm and is a no-op the second time', () => {
    for (const name of WASM_GRAD_KERNEL_NAMES) expect(tf.getKernel(name, 'wasm')).toBeDefined();
    const before = WASM_GRAD_KERNEL_NAMES.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc);
    expect(registerWasmGradKernels(tf)).toEqual([]);
    expect(WASM_GRAD_KERNEL_NAMES.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc)).toEqual(before);
  });

  const convCases: ConvCase[] = [
    { name: 'stride 1 same 3x3', x: [2, 7, 5, 3], f: [3, 3, 3, 4], stride: 1, pad: 'same' },
    { name: 'stride 1 valid 2x4 non-square', x: [1, 6, 9, 2], f: [2, 4, 2, 5], stride: 1, pad: 'valid' },
    { name: 'stride 2 same 3x3 single channel', x: [3, 8, 8, 1], f: [3, 3, 1, 6], stride: 2, pad: 'same' },
    { name: 'stride 2 valid with leftover rows', x: [2, 9, 7, 3], f: [3, 2, 3, 2], stride: 2, pad: 'valid' },
    { name: 'stride [2, 1] same 5x3', x: [2, 6, 7, 4], f: [5, 3, 4, 3], stride: [2, 1], pad: 'same' },
    { name: 'stride 3 same odd size', x: [1, 10, 11, 2], f: [3, 3, 2, 2], stride: 3, pad: 'same' },
    { name: 'stride 2 valid 1x1', x: [4, 5, 6, 3], f: [1, 1, 3, 7], stride: 2, pad: 'valid' },
    { name: 'stride 1 explicit asymmetric pad', x: [2, 5, 6, 2], f: [3, 3, 2, 3], stride: 1, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  ];

  it.each(convCases)('Conv2DBackprop{Filter,Input} (conv2d gradients): $name', async ({ x, f, stride, pad }) => {
    await expectWasmMatchesCpu(() => {
      const xs = randomTensor(1, x) as Tensor4D;
      const w = randomTensor(2, f) as Tensor4D;
      const outShape = tf.conv2d(xs, w, stride, pad).shape;
      const r = randomTensor(3, outShape); // dy = r: a random upstream gradient
      const lossFn = (a: Tensor, b: Tensor) => tf.sum(tf.mul(tf.conv2d(a as Tensor4D, b as Tensor4D, stride, pad), r));
      return tf.grads(lossFn)([xs, w]);
    });
  });

  it.each([
    { name: 'same, stride 2', strides: [2, 2], pad: 'same', dy: [2, 4, 4, 3] },
    { name: 'explicit pad, stride 1', strides: [1, 1], pad: [[0, 0], [0, 0], [1, 0], [2, 1]], dy: [2, 4, 6, 7] },
  ])('Conv2D backprop kernels on NCHW tensors through runKernel: $name', async ({ strides, pad, dy: dyShape }) => {
    await expectWasmMatchesCpu(() => {
      const x = randomTensor(4, [2, 3, 7, 6]); // [B, Cin, H, W]
      const dy = randomTensor(5, dyShape); // [B, Cout, oh, ow]
      const filter = randomTensor(6, [3, 3, 3, dyShape[1]]); // [fh, fw, Cin, Cout]
      const attrs = { strides, pad, dataFormat: 'NCHW' };
      return [
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: filter.shape }) as Tensor,
        tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: x.shape }) as Tensor,
      ];
    });
  });

  const depthwiseCases: ConvCase[] = [
    { name: 'stride 1 same multiplier 1', x: [2, 6, 5, 3], f: [3, 3, 3, 1], stride: 1, pad: 'same' },
    { name: 'stride 2 same multiplier 3 non-square kernel', x: [1, 7, 7, 2], f: [3, 2, 2, 3], stride: 2, pad: 'same' },
    { name: 'stride 2 valid multiplier 2', x: [2, 8, 9, 4], f: [2, 2, 4, 2], stride: 2, pad: 'valid' },
    { name: 'stride 1 valid 5x5 non-square input', x: [3, 9, 6, 2], f: [5, 5, 2, 1], stride: 1, pad: 'valid' },
  ];

  it.each(depthwiseCases)('DepthwiseConv2dNativeBackprop{Filter,Input}: $name', async ({ x, f, stride, pad }) => {
    const s = stride as number;
    const p = pad as 'same' | 'valid';
    await expectWasmMatchesCpu(() => {
      const xs = randomTensor(6, x) as Tensor4D;
      const w = randomTensor(7, f) as Tensor4D;
      const r = randomTensor(8, tf.depthwiseConv2d(xs, w, s, p).shape);
      const lossFn = (a: Tensor, b: Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(a as Tensor4D, b as Tensor4D, s, p), r));
      return tf.grads(lossFn)([xs, w]);
    });
  });

  it('separableConv2d gradients (depthwise then pointwise)', async () => {
    await expectWasmMatchesCpu(() => {
      const xs = randomTensor(9, [2, 6, 7, 3]) as Tensor4D;
      const dw = randomTensor(10, [3, 3, 3, 2]) as Tensor4D;
      const pw = randomTensor(11, [1, 1, 6, 4]) as Tensor4D;
      const r = randomTensor(12, [2, 3, 4, 4]);
      const lossFn = (a: Tensor, b: Tensor, c: Tensor) =>
        tf.sum(tf.mul(tf.separableConv2d(a as Tensor4D, b as Tensor4D, c as Tensor4D, 2, 'same'), r));
      return tf.grads(lossFn)([xs, dw, pw]);
    });
  });

  it.each([
    { name: 'axis 0 with repeated indices', shape: [5, 3], indices: [4, 0, 4, 2, 4], axis: 0 },
    { name: 'axis 1 of a 3-d tensor', shape: [2, 6, 3], indices: [1, 1, 5, 0], axis: 1 },
  ])('UnsortedSegmentSum (gather gradient): $name', async ({ shape, indices, axis }) => {
    await expectWasmMatchesCpu(() => {
      const x = randomTensor(13, shape);
      const idx = tf.tensor1d(indices, 'int32');
      const r = randomTensor(14, tf.gather(x, idx, axis).shape);
      return [tf.grad((a: Tensor) => tf.sum(tf.mul(tf.gather(a, idx, axis), r)))(x)];
    });
  });

  it('UnsortedSegmentSum: out-of-range ids are dropped, int32 values stay int32', async () => {
    const run = (backend: 'cpu' | 'wasm') =>
      runOn(backend, () => {
        const ids = tf.tensor1d([0, 3, -1, 3, 7, 1], 'int32'); // -1 and 7 are out of range
        const x = tf.tensor2d(Array.from({ length: 12 }, (_, i) => i - 5), [6, 2], 'int32');
        return [tf.engine().runKernel('UnsortedSegmentSum', { x, segmentIds: ids }, { numSegments: 4 }) as Tensor];
      });
    const [want] = await run('cpu');
    const [got] = await run('wasm');
    expect(got.shape).toEqual([4, 2]);
    expect(got.values).toBeInstanceOf(Int32Array);
    // Segment 0: row 0 = [-5,-4]; 1: row 5 = [5,6]; 2: none; 3: rows 1 + 3 = [-3,-2] + [1,2].
    expect(Array.from(got.values)).toEqual([-5, -4, 5, 6, 0, 0, -2, 0]);
    expect(Array.from(got.values)).toEqual(Array.from(want.values));
  });

  it('a small conv net: every weight gradient matches cpu', async () => {
    await expectWasmMatchesCpu(() => {
      const x = randomTensor(20, [4, 12, 10, 1]) as Tensor4D;
      const w1 = randomTensor(21, [3, 3, 1, 6]) as Tensor4D;
      const w2 = randomTensor(22, [3, 3, 6, 8]) as Tensor4D;
      const w3 = randomTensor(23, [8 * 3 * 3, 5]);
      const lossFn = (a: Tensor, b: Tensor, c: Tensor) => {
        const h1 = tf.maxPool(tf.relu(tf.conv2d(x, a as Tensor4D, 1, 'same')), 2, 2, 'valid'); // [4, 6, 5, 6]
        const h2 = tf.avgPool(tf.relu(tf.conv2d(h1, b as Tensor4D, 2, 'same')), [1, 1], 1, 'valid'); // [4, 3, 3, 8]
        const z = tf.matMul(tf.reshape(h2, [4, 8 * 3 * 3]), c as Tensor); // [4, 5]
        return tf.mean(tf.square(tf.sub(z, 0.5)));
      };
      return tf.grads(lossFn)([w1, w2, w3]);
    });
  });
});
