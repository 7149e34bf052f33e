/**
 * Tower → ONNX (issue 20 item 2): the graph of `buildTower` (./tower.ts) written from its spec and
 * trained weights, for inference under ONNX Runtime (./onnx-runtime.ts). TF.js stays the training
 * runtime; this file has no TF.js in it, it reads plain arrays.
 *
 * - Layout: TF.js images are NHWC, ONNX convolutions NCHW. The input is transposed once
 *   ([n, h, w, c] → [n, c, h, w]); the flatten before each embedding layer then reads (c, h, w)
 *   where TF.js read (h, w, c), so the dense kernel's rows are permuted instead of transposing back.
 * - Batch norm (inference) folds into the conv before it: with s = γ / sqrt(σ² + ε),
 *   BN(W * x) = s · (W * x − μ) + β = (s · W) * x + (β − s · μ), per output channel
 *   (`batchNormAffine`, `foldConv`).
 * - SquareResize (bilinear, corners aligned) is ONNX Resize `linear` + `align_corners`:
 *   both map output index i to input coordinate i · (in − 1) / (out − 1).
 * - L2Normalize: x / sqrt(max(Σ x², 1e-12)), as ./tower.ts.
 */
import { assert } from '@/lib/errors';
import { encodeOnnxModel, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './onnx-proto';
import { towerOutputDim, type ConvSpec, type MlpSpec, type TowerSpec } from './tower';

/** One trained weight array with its TF.js shape. */
export interface LayerWeight {
  values: Float32Array;
  shape: number[];
}

/** A layer's trained weights (in TF.js `getWeights()` order) and its config. */
export interface LayerState {
  weights: LayerWeight[];
  config: Record<string, unknown>;
}

/** ONNX opset of the exported graph (ReduceSumSquare still takes `axes` as an attribute). */
const OPSET = 17;
/** Name of the graph's input ([n, h, w, c] images or [n, dim] vectors) and output ([n, dim]). */
export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'output';

/** Collects nodes and initializers under unique names. */
export class Graph {
  nodes: OnnxNode[] = [];
  initializers: OnnxTensor[] = [];

  op(opType: string, inputs: string[], name: string, attributes?: OnnxNode['attributes'], output = name): string {
    this.nodes.push({ opType, inputs, outputs: [output], name, attributes });
    return output;
  }

  constant(name: string, dims: number[], data: OnnxTensor['data']): string {
    this.initializers.push({ name, dims, data });
    return name;
  }

  /** x / sqrt(max(Σ x², 1e-12)) over the last axis. */
  l2Normalize(x: string, name: string): string {
    const sum = this.op('ReduceSumSquare', [x], `${name}/sum_sq`, { axes: [-1], keepdims: 1 });
    const floor = this.constant(`${name}/floor`, [], Float32Array.of(1e-12));
    const norm = this.op('Sqrt', [this.op('Max', [sum, floor], `${name}/max`)], `${name}/norm`);
    return this.op('Div', [x, norm], name);
  }

  /**
   * An ONNX Conv over NCHW `x` of the TF.js `kernel` (with its `bias` or none, the per-channel
   * `affine` after it folded in; `foldConv`), at `strides` (default 1), padded by explicit `pads`
   * [top, left, bottom, right] or `SAME_UPPER` (TensorFlow's `same`: the odd pixel at the end).
   */
  conv(x: string, name: string, kernel: LayerWeight, bias: LayerWeight | null, affine: ChannelAffine | null, opts: { depthwise?: boolean; strides?: number[]; padding: number[] | 'SAME_UPPER' }): string {
    const depthwise = opts.depthwise ?? false;
    const [kh, kw, cin] = kernel.shape;
    const folded = foldConv(kernel, bias, affine, { depthwise, name });
    const outs = folded.bias.length;
    const padding: Record<string, OnnxAttribute> = opts.padding === 'SAME_UPPER' ? { auto_pad: 'SAME_UPPER' } : { pads: opts.padding };
    const inputs = [x, this.constant(`${name}/W`, [outs, depthwise ? 1 : cin, kh, kw], folded.weights), this.constant(`${name}/b`, [outs], folded.bias)];
    return this.op('Conv', inputs, name, { kernel_shape: [kh, kw], strides: opts.strides ?? [1, 1], ...padding, group: depthwise ? cin : 1 });
  }

  /** x · W + b with a TF.js dense kernel [in, out] (rows permuted by `rowOf` when given). */
  dense(x: string, layer: LayerState, name: string, rowOf?: (r: number) => number): string {
    const [kernel, bias] = layer.weights;
    const [rows, cols] = kernel.shape;
    let values = kernel.values;
    if (rowOf) {
      values = new Float32Array(kernel.values.length);
      for (let r = 0; r < rows; r++) values.set(kernel.values.subarray(r * cols, (r + 1) * cols), rowOf(r) * cols);
    }
    return this.op('Gemm', [x, this.constant(`${name}/W`, [rows, cols], values), this.constant(`${name}/b`, [cols], bias.values)], name);
  }
}

/** A per-channel affine map y = scale · x + shift, folded into the convolution before it. */
export interface ChannelAffine {
  scale: Float32Array;
  shift: Float32Array;
}

/** An inference batch norm (gamma, beta, moving mean, moving variance) as its affine map: s = γ / sqrt(σ² + ε), t = β − s · μ. */
export function batchNormAffine(bn: LayerState, name: string): ChannelAffine {
  assert(bn.config.center !== false && bn.config.scale !== false, `${name}: only batch norm with scale and center exports`);
  const [gamma, beta, mean, variance] = bn.weights.map((w) => w.values);
  const eps = Number(bn.config.epsilon ?? 1e-3);
  const scale = Float32Array.from(gamma, (g, o) => g / Math.sqrt(variance[o] + eps));
  return { scale, shift: Float32Array.from(beta, (b, o) => b - scale[o] * mean[o]) };
}

/**
 * A TF.js convolution kernel as an ONNX Conv's weights and bias, with the per-channel `affine`
 * after it folded in: s · (W * x + b) + t = (s · W) * x + (s · b + t). `kernel` is [kh, kw, in,
 * out], or with `depthwise` [kh, kw, channels, multiplier] (ONNX: `group` = channels, weights
 * [channels · multiplier, 1, kh, kw]); `bias` is the conv's own, or null.
 */
function foldConv(kernel: LayerWeight, bias: LayerWeight | null, affine: ChannelAffine | null, opts: { depthwise: boolean; name: string }): { weights: Float32Array; bias: Float32Array } {
  const [kh, kw, cin, cout] = kernel.shape;
  const outs = opts.depthwise ? cin * cout : cout;
  assert(!affine || affine.scale.length === outs, `${opts.name}: a per-channel map over ${affine?.scale.length} channels after a conv of ${outs}`);
  const scale = affine?.scale ?? new Float32Array(outs).fill(1);
  const shifted = Float32Array.from(bias?.values ?? new Float32Array(outs), (b, o) => scale[o] * b + (affine?.shift[o] ?? 0));
  const ins = opts.depthwise ? 1 : cin;
  const w = new Float32Array(outs * ins * kh * kw);
  const k = kernel.values;
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < cin; c++) for (let m = 0; m < cout; m++) {
    // ONNX [out, in, kh, kw]; a depthwise output channel c · multiplier + m reads input channel c alone.
    const o = opts.depthwise ? c * cout + m : m;
    w[((o * ins + (opts.depthwise ? 0 : c)) * kh + y) * kw + x] = k[((y * kw + x) * cin + c) * cout + m] * scale[o];
  }
  return { weights: w, bias: shifted };
}

function layerOf(layers: ReadonlyMap<string, LayerState>, name: string): LayerState {
  const layer = layers.get(name);
  assert(layer !== undefined, `tower layer ${name} is missing from the model`);
  return layer;
}

/** A conv tower over NCHW `x` of side `spec.inputSizePx`; returns its L2-normalised [n, dim] output. */
function convTower(g: Graph, x: string, spec: ConvSpec, layers: ReadonlyMap<string, LayerState>, prefix: string): string {
  let side = spec.inputSizePx;
  let channels = spec.channels;
  spec.filters.forEach((filters, i) => {
    const conv = layerOf(layers, `${prefix}conv${i + 1}`);
    const [kh, kw, cin, cout] = conv.weights[0].shape; // TF.js kernel [kh, kw, in, out]
    assert(cin === channels && cout === filters, `${prefix}conv${i + 1}: kernel ${conv.weights[0].shape.join('x')} does not match ${channels} → ${filters} channels`);
    const bn = spec.batchNorm ? batchNormAffine(layerOf(layers, `${prefix}bn${i + 1}`), `${prefix}bn${i + 1}`) : null;
    // 'same' padding of a 3x3 stride-1 conv: one pixel on each side.
    const y = g.conv(x, `${prefix}conv${i + 1}`, conv.weights[0], spec.batchNorm ? null : conv.weights[1], bn, { padding: [(kh - 1) / 2, (kw - 1) / 2, (kh - 1) / 2, (kw - 1) / 2] });
    const relu = g.op('Relu', [y], `${prefix}relu${i + 1}`);
    x = g.op('MaxPool', [relu], `${prefix}pool${i + 1}`, { kernel_shape: [2, 2], strides: [2, 2] });
    side = Math.floor(side / 2);
    channels = filters;
  });
  const flat = g.op('Flatten', [x], `${prefix}flatten`, { axis: 1 }); // [n, c * side * side], (c, h, w) order
  // TF.js row (h · side + w) · C + c  →  ONNX row c · side² + h · side + w.
  const C = channels;
  const rowOf = (r: number) => (r % C) * side * side + Math.floor(r / C);
  const embedding = g.dense(flat, layerOf(layers, `${prefix}embedding`), `${prefix}embedding`, rowOf);
  return g.l2Normalize(embedding, `${prefix}l2_normalize`);
}

function mlpTower(g: Graph, x: string, spec: MlpSpec, layers: ReadonlyMap<string, LayerState>): string {
  spec.hidden.forEach((_, i) => {
    x = g.op('Relu', [g.dense(x, layerOf(layers, `hidden${i + 1}`), `hidden${i + 1}`)], `hidden${i + 1}/relu`);
  });
  return g.l2Normalize(g.dense(x, layerOf(layers, 'embedding'), 'embedding'), 'l2_normalize');
}

/**
 * The `.onnx` bytes of a tower: `spec` and the trained `layers` by name (./weights.ts
 * `towerLayerStates`). Input `input` [n, h, w, c] (or [n, dim]), output `output` [n, dim].
 */
export function exportTowerOnnx(spec: TowerSpec, layers: ReadonlyMap<string, LayerState>): Uint8Array {
  const g = new Graph();
  let out: string;
  if (spec.type === 'mlp') {
    out = mlpTower(g, ONNX_INPUT, spec, layers);
  } else {
    const nchw = g.op('Transpose', [ONNX_INPUT], 'to_nchw', { perm: [0, 3, 1, 2] }); // [n, c, h, w]
    const members = spec.type === 'ensemble' ? spec.members.map((m, i) => ({ member: m, prefix: `m${i + 1}_` })) : [{ member: spec, prefix: '' }];
    const outputs = members.map(({ member, prefix }) => {
      let x = nchw;
      if (member.inputSizePx !== spec.inputSizePx) {
        const ratio = member.inputSizePx / spec.inputSizePx;
        const scales = g.constant(`${prefix}resize/scales`, [4], Float32Array.of(1, 1, ratio, ratio));
        x = g.op('Resize', [nchw, '', scales], `${prefix}resize`, { mode: 'linear', coordinate_transformation_mode: 'align_corners' });
      }
      return convTower(g, x, member, layers, prefix);
    });
    out = outputs.length === 1 ? outputs[0] : g.l2Normalize(g.op('Concat', outputs, 'concat', { axis: 1 }), 'l2_normalize');
  }
  // The last node writes the graph output under its fixed name.
  const last = g.nodes[g.nodes.length - 1];
  assert(last.outputs[0] === out, 'the tower output is the last node');
  last.outputs[0] = ONNX_OUTPUT;
  const inputDims = spec.type === 'mlp' ? ['n', spec.inputDim] : ['n', spec.inputSizePx, spec.inputSizePx, spec.channels];
  return encodeOnnxModel({
    opset: OPSET,
    producer: 'fewshot-match lib/embedder/onnx-export.ts',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: ONNX_INPUT, dims: inputDims }],
    outputs: [{ name: ONNX_OUTPUT, dims: ['n', towerOutputDim(spec)] }],
  });
}
