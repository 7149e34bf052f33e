/**
 * Gradient kernels that `@tensorflow/tfjs-backend-wasm` 4.22 does not register, built from ops
 * the wasm backend does have (conv2d, depthwiseConv2d, matMul, pad, slice, transpose).
 *
 * Missing on wasm vs cpu (measured with `tf.getKernelsForBackend`, tfjs 4.22):
 * Conv2DBackpropFilter (every conv layer's weight gradient), DepthwiseConv2dNativeBackpropFilter
 * and DepthwiseConv2dNativeBackpropInput (depthwise/separable conv gradients) and
 * UnsortedSegmentSum (the gradient of `tf.gather`, used to pick pair members from a batch).
 * The rest of a small conv net's backward pass (Conv2DBackpropInput, MaxPoolGrad, AvgPoolGrad,
 * ReluGrad, BatchMatMul, Mean/Sum) is present. The batch-norm gradient works but is built from
 * tiled elementwise ops: at [64, 14, 14, 64] its forward+backward costs 175 ms of CPU, 3/4 of a
 * 3x3x64 conv's 235 ms; prefer networks without batch norm on wasm.
 *
 * Conv2DBackpropInput is present but replaced: wasm's own is a plain loop, 15x slower than the
 * forward conv (x [64, 14, 14, 64], 3x3x64: 1004 ms vs 67 ms forward); rewritten as one XNNPACK
 * conv it costs about what the forward pass does, and a 4-conv training step (batch 64, 28x28)
 * drops from 1057 to 450 ms of CPU (measured in this repo, tfjs 4.22, Node 20).
 *
 * Each kernel runs inside the engine with the tape off, so the ops below are not recorded;
 * returning a `Tensor` (not a bare TensorInfo) hands it to the engine as the kernel output.
 * Every kernel is checked against the cpu backend in tests/embedder/wasm-kernels.test.ts.
 */
import { assert } from '@/lib/errors';
import type { Tensor, Tensor4D, TensorInfo, Tf } from './backend';

type KernelConfig = Parameters<Tf['registerKernel']>[0];
type KernelFunc = KernelConfig['kernelFunc'];
type KernelParams = Parameters<KernelFunc>[0];
type Pair = [number, number];
type PadAttr = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

const BACKEND = 'wasm';

/** Kernels wasm lacks; registered unless some implementation is already there. */
const MISSING = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
] as const;
/** Kernels wasm has but too slowly; replaced by ours. */
const REPLACED = ['Conv2DBackpropInput'] as const;

/** Kernel names this module registers on the wasm backend. */
export const WASM_GRAD_KERNEL_NAMES = [...MISSING, ...REPLACED] as const;

// Our kernel functions, to recognise them on a second registration call.
const ours = new WeakSet<KernelFunc>();

/**
 * Registers the missing (and replaces the slow) gradient kernels on the wasm backend; returns
 * the names it (re)registered, so a second call returns [] and changes nothing.
 */
export function registerWasmGradKernels(tf: Tf): string[] {
  const kernels: Record<(typeof WASM_GRAD_KERNEL_NAMES)[number], KernelFunc> = {
    Conv2DBackpropFilter: (p) => conv2dBackpropFilter(tf, p),
    Conv2DBackpropInput: (p) => conv2dBackpropInput(tf, p),
    DepthwiseConv2dNativeBackpropFilter: (p) => depthwiseBackpropFilter(tf, p),
    DepthwiseConv2dNativeBackpropInput: (p) => depthwiseBackpropInput(tf, p),
    UnsortedSegmentSum: (p) => unsortedSegmentSum(tf, p),
  };
  const registered: string[] = [];
  for (const name of WASM_GRAD_KERNEL_NAMES) {
    const existing = tf.getKernel(name, BACKEND);
    if (existing && (ours.has(existing.kernelFunc) || (MISSING as readonly string[]).includes(name))) continue;
    if (existing) tf.unregisterKernel(name, BACKEND);
    ours.add(kernels[name]);
    tf.registerKernel({ kernelName: name, backendName: BACKEND, kernelFunc: kernels[name] });
    registered.push(name);
  }
  return registered;
}

/** Wraps a kernel input as a Tensor (inputs are already Tensors when called through ops). */
function asTensor<T extends Tensor>(tf: Tf, info: TensorInfo | undefined): T {
  assert(info != null, 'wasm gradient kernel called without a required input');
  return (info instanceof tf.Tensor ? info : tf.engine().makeTensorFromTensorInfo(info)) as T;
}

function pair(v: unknown): Pair {
  return Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number];
}

function assertDilationOne(kernel: string, dilations: unknown): void {
  const [dh, dw] = pair(dilations ?? 1);
  // tfjs's depthwise gradient already rejects dilation > 1, so reaching this is a bug.
  assert(dh === 1 && dw === 1, `${kernel} on wasm supports dilation 1 only, got [${dh}, ${dw}]`);
}

/** Pads (positive) or crops (negative) the H and W axes of an NHWC tensor. */
function padOrCrop(tf: Tf, x: Tensor4D, top: number, bottom: number, left: number, right: number): Tensor4D {
  const [n, h, w, c] = x.shape;
  const cropTop = Math.max(0, -top);
  const cropLeft = Math.max(0, -left);
  const keepH = h - cropTop - Math.max(0, -bottom);
  const keepW = w - cropLeft - Math.max(0, -right);
  const cropped = keepH === h && keepW === w ? x : tf.slice(x, [0, cropTop, cropLeft, 0], [n, keepH, keepW, c]);
  const p: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0],
  ];
  return p[1][0] + p[1][1] + p[2][0] + p[2][1] === 0 ? cropped : tf.pad(cropped, p);
}

/**
 * dW[r, c, i, o] = sum_{b, y, x} xPad[b, r + y*sh, c + x*sw, i] * dy[b, y, x, o]
 *
 * That is a stride-1 conv whose "batch" is the input channel, whose "channels" are the batch and
 * whose filter is dy, dilated by the forward stride:
 *   conv2d(xPad^T [Cin, Hp, Wp, B], dy^T [oh, ow, B, Cout], dilation [sh, sw]) = [Cin, fh, fw, Cout]
 * so XNNPACK does the whole reduction in one call.
 */
function conv2dBackpropFilter(tf: Tf, { inputs, attrs }: KernelParams): Tensor {
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
    strides: Pair | number; pad: PadAttr; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode: Rounding;
    filterShape: [number, number, number, number];
  };
  return tf.tidy(() => {
    const toNhwc = (t: Tensor4D) => (dataFormat === 'NCHW' ? tf.transpose(t, [0, 2, 3, 1]) : t);
    const x = toNhwc(asTensor<Tensor4D>(tf, inputs.x)); // [B, H, W, Cin]
    const dy = toNhwc(asTensor<Tensor4D>(tf, inputs.dy)); // [B, oh, ow, Cout]
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, toNhwcPad(pad, dataFormat === 'NCHW'),
      dimRoundingMode);
    const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw, outHeight: oh, outWidth: ow } = info;
    const { top, left } = info.padInfo;
    // Keep exactly the rows/cols the forward conv read: (o - 1) * s + f after the top/left pad.
    const xPad = padOrCrop(tf, x, top, (oh - 1) * sh + fh - info.inHeight - top, left,
      (ow - 1) * sw + fw - info.inWidth - left); // [B, (oh-1)*sh+fh, (ow-1)*sw+fw, Cin]
    const xT = tf.transpose(xPad, [3, 1, 2, 0]); // [Cin, Hp, Wp, B]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]); // [oh, ow, B, Cout]
    const dwT = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', [sh, sw]); // [Cin, fh, fw, Cout]
    return tf.transpose(dwT, [1, 2, 0, 3]); // [fh, fw, Cin, Cout]
  });
}

/**
 * dx[b, h, w, i] = sum_{r, c, o} dyDil[b, h + pt - r, w + pl - c, o] * W[r, c, i, o]
 * where dyDil is dy with (s - 1) zeros between rows/cols: a stride-1 conv of the padded dyDil
 * with the filter flipped in space and with in/out channels swapped.
 */
function conv2dBackpropInput(tf: Tf, { inputs, attrs }: KernelParams): Tensor {
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as {
    strides: Pair | number; pad: PadAttr; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode: Rounding;
    inputShape: [number, number, number, number];
  };
  return tf.tidy(() => {
    const nchw = dataFormat === 'NCHW';
    const dyIn = asTensor<Tensor4D>(tf, inputs.dy);
    const dy = nchw ? tf.transpose(dyIn, [0, 2, 3, 1]) : dyIn; // [B, oh, ow, Cout]
    const filter = asTensor<Tensor4D>(tf, inputs.filter); // [fh, fw, Cin, Cout]
    const [fh, fw] = filter.shape;
    const xShape = nchw ? toNhwcShape(inputShape) : inputShape; // [B, H, W, Cin]
    const info = tf.backend_util.computeConv2DInfo(xShape, filter.shape, strides, 1, toNhwcPad(pad, nchw), dimRoundingMode);
    const dyDil = dilate(tf, dy, info.strideHeight, info.strideWidth); // [B, oh*sh, ow*sw, Cout]
    const top = fh - 1 - info.padInfo.top;
    const left = fw - 1 - info.padInfo.left;
    const dyPad = padOrCrop(tf, dyDil, top, info.inHeight + fh - 1 - top - dyDil.shape[1], left,
      info.inWidth + fw - 1 - left - dyDil.shape[2]); // [B, H + fh - 1, W + fw - 1, Cout]
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [fh, fw, Cout, Cin]
    const dx = tf.conv2d(dyPad, flipped, 1, 'valid'); // [B, H, W, Cin]
    return nchw ? tf.transpose(dx, [0, 3, 1, 2]) : dx;
  });
}

/** [B, C, H, W] -> [B, H, W, C]. */
function toNhwcShape([b, c, h, w]: [number, number, number, number]): [number, number, number, number] {
  return [b, h, w, c];
}

/** Explicit NCHW paddings [[0,0],[0,0],top/bottom,left/right] reordered for NHWC. */
function toNhwcPad(pad: PadAttr, nchw: boolean): PadAttr {
  return nchw && Array.isArray(pad) ? [[0, 0], pad[2], pad[3], [0, 0]] : pad;
}

/** Inserts s - 1 zero rows/cols after each row/col of an NHWC tensor: [B, n*sh, m*sw, C]. */
function dilate(tf: Tf, t: Tensor4D, sh: number, sw: number): Tensor4D {
  if (sh === 1 && sw === 1) return t;
  const [b, n, m, c] = t.shape;
  const spread = tf.pad(tf.reshape(t, [b, n, 1, m, 1, c]),
    [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]); // [B, n, sh, m, sw, C]
  return tf.reshape(spread, [b, n * sh, m * sw, c]) as Tensor4D; // [B, n*sh, m*sw, C]
}

/**
 * dW[r, c, i, m] = sum_{b, y, x} xPad[b, r + y*sh, c + x*sw, i] * dy[b, y, x, i*M + m]
 * One strided slice and one reduction per filter tap (fh * fw of them, 9 for 3x3).
 */
function depthwiseBackpropFilter(tf: Tf, { inputs, attrs }: KernelParams): Tensor {
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs as unknown as {
    strides: Pair | number; dilations: Pair | number; pad: PadAttr; dimRoundingMode: Rounding;
    filterShape: [number, number, number, number];
  };
  assertDilationOne('DepthwiseConv2dNativeBackpropFilter', dilations);
  return tf.tidy(() => {
    const x = asTensor<Tensor4D>(tf, inputs.x); // [B, H, W, C]
    const dy = asTensor<Tensor4D>(tf, inputs.dy); // [B, oh, ow, C*M]
    const [fh, fw, c, m] = filterShape;
    const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, true);
    const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow, batchSize: b } = info;
    const { top, left } = info.padInfo;
    const xPad = padOrCrop(tf, x, top, (oh - 1) * sh + fh - info.inHeight - top, left,
      (ow - 1) * sw + fw - info.inWidth - left); // [B, (oh-1)*sh+fh, (ow-1)*sw+fw, C]
    const dy5 = tf.reshape(dy, [b, oh, ow, c, m]); // [B, oh, ow, C, M]
    const taps: Tensor[] = [];
    for (let r = 0; r < fh; r++) {
      for (let col = 0; col < fw; col++) {
        const xs = tf.stridedSlice(xPad, [0, r, col, 0], [b, r + (oh - 1) * sh + 1, col + (ow - 1) * sw + 1, c],
          [1, sh, sw, 1]); // [B, oh, ow, C]
        taps.push(tf.sum(tf.mul(tf.reshape(xs, [b, oh, ow, c, 1]), dy5), [0, 1, 2])); // [C, M]
      }
    }
    return tf.reshape(tf.stack(taps), [fh, fw, c, m]); // [fh*fw, C, M] -> [fh, fw, C, M]
  });
}

/**
 * dx[b, h, w, i] = sum_{r, c, m} dyDil[b, h + pt - r, w + pl - c, i*M + m] * W[r, c, i, m]
 * where dyDil is dy with (s - 1) zeros between rows/cols: a stride-1 depthwise conv of the padded
 * dyDil with the spatially flipped filter, then a sum over the channel multiplier M.
 */
function depthwiseBackpropInput(tf: Tf, { inputs, attrs }: KernelParams): Tensor {
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs as unknown as {
    strides: Pair | number; dilations: Pair | number; pad: PadAttr; dimRoundingMode: Rounding;
    inputShape: [number, number, number, number];
  };
  assertDilationOne('DepthwiseConv2dNativeBackpropInput', dilations);
  return tf.tidy(() => {
    const dy = asTensor<Tensor4D>(tf, inputs.dy); // [B, oh, ow, C*M]
    const filter = asTensor<Tensor4D>(tf, inputs.filter); // [fh, fw, C, M]
    const [fh, fw, c, m] = filter.shape;
    const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode, true);
    const { strideHeight: sh, strideWidth: sw, batchSize: b } = info;
    const dyDil = dilate(tf, dy, sh, sw); // [B, oh*sh, ow*sw, C*M]
    const top = fh - 1 - info.padInfo.top;
    const left = fw - 1 - info.padInfo.left;
    const dyPad = padOrCrop(tf, dyDil, top, info.inHeight + fh - 1 - top - dyDil.shape[1], left,
      info.inWidth + fw - 1 - left - dyDil.shape[2]); // [B, H + fh - 1, W + fw - 1, C*M]
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [fh, fw, c * m, 1]) as Tensor4D; // [fh, fw, C*M, 1]
    const dxm = tf.depthwiseConv2d(dyPad, flipped, 1, 'valid'); // [B, H, W, C*M]
    return tf.sum(tf.reshape(dxm, [b, info.inHeight, info.inWidth, c, m]), 4); // [B, H, W, C]
  });
}

/**
 * out[s, ...] = sum over i with ids[i] = s of x[i, ...]; ids outside [0, numSegments) are dropped
 * (as in TensorFlow). One-hot matmul: onehot(ids)^T [S, K] x x [K, D].
 */
function unsortedSegmentSum(tf: Tf, { inputs, attrs }: KernelParams): Tensor {
  const { numSegments } = attrs as unknown as { numSegments: number };
  return tf.tidy(() => {
    const x = asTensor(tf, inputs.x);
    const ids = asTensor(tf, inputs.segmentIds);
    const k = ids.size;
    const rest = x.shape.slice(ids.rank);
    const flat = tf.reshape(tf.cast(x, 'float32'), [k, rest.reduce((a, d) => a * d, 1)]); // [K, D]
    const oneHot = tf.cast(tf.oneHot(tf.reshape(tf.cast(ids, 'int32'), [k]), numSegments), 'float32'); // [K, S]
    const summed = tf.reshape(tf.matMul(oneHot, flat, true, false), [numSegments, ...rest]); // [S, ...rest]
    return x.dtype === 'float32' ? summed : tf.cast(summed, x.dtype);
  });
}
