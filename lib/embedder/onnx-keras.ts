/**
 * A Keras functional graph → ONNX (issues 19 and 20): the layers of a network up to one layer,
 * global-average-pooled, for the frozen photo backbone (./photo-backbone.ts: MobileNetV2 cut at
 * `block_16_project_BN`) under ONNX Runtime. Like ./onnx-export.ts it reads plain arrays, no TF.js.
 *
 * - Layout: the input [n, h, w, c] is transposed once to NCHW; the pooled output [n, c] needs no
 *   transpose back.
 * - Conv2D and DepthwiseConv2D (no dilation, linear activation) become ONNX Conv (a depthwise one
 *   with `group` = its input channels), with the BatchNormalization after them folded in
 *   (./onnx-export.ts `Graph.conv`). Padding: `valid`, or `same` at stride 1 ((k − 1) / 2 on each
 *   side); a ZeroPadding2D before a `valid` convolution becomes that convolution's pads (MobileNetV2
 *   pads its stride-2 convolutions so: Keras `same` at stride 2 pads unevenly).
 * - ReLU: Relu, or Clip(0, max_value) for ReLU6. Add: Add.
 * - Any other layer on the way to the cut, or a layer the exporter cannot fold (a batch norm whose
 *   convolution feeds another layer too): `onnx_export_unsupported`, a NotReadyError, so `auto`
 *   inference stays on TF.js.
 */
import { assert, NotReadyError } from '@/lib/errors';
import type { LayersModel } from './backend';
import { encodeOnnxModel } from './onnx-proto';
import { batchNormAffine, Graph, ONNX_INPUT, ONNX_OUTPUT, type LayerWeight } from './onnx-export';

/** ONNX opset of the exported graph (Clip takes min and max as inputs). */
const OPSET = 17;

/** One layer of a functional model, as TF.js describes it (`getClassName`, `getConfig`, `getWeights`). */
export interface KerasLayer {
  name: string;
  className: string;
  /** TF.js `getConfig()` (camelCase keys). */
  config: Record<string, unknown>;
  /** Names of the layers feeding it, in order (none for the input layer). */
  inputs: string[];
  weights: LayerWeight[];
}

function unsupported(layer: KerasLayer, why: string): NotReadyError {
  return new NotReadyError('onnx_export_unsupported', `layer ${layer.name} (${layer.className}): ${why}`);
}

/**
 * The `.onnx` bytes of `layers` (a functional model, in topological order) up to `cut`, its output
 * global-average-pooled: input `input` [n, side, side, channels], output `output` [n, dim].
 */
export function exportKerasPrefixOnnx(layers: readonly KerasLayer[], cut: string, shape: { side: number; channels: number; dim: number }): Uint8Array {
  const byName = new Map(layers.map((l) => [l.name, l]));
  // The layers the cut depends on, and who reads each of them.
  const needed = new Set<string>();
  const pending = [cut];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (needed.has(name)) continue;
    const layer = byName.get(name);
    assert(layer !== undefined, `layer ${name} is not in the model`);
    needed.add(name);
    pending.push(...layer.inputs);
  }
  const readers = new Map<string, KerasLayer[]>();
  for (const l of layers) if (needed.has(l.name)) for (const i of l.inputs) readers.set(i, [...(readers.get(i) ?? []), l]);

  const g = new Graph();
  const tensorOf = new Map<string, string>();
  /** ZeroPadding2D layers, left for the convolution that reads them: its input and [top, left, bottom, right]. */
  const padded = new Map<string, { input: string; pads: number[] }>();
  const input = (l: KerasLayer, i = 0): string => {
    const t = tensorOf.get(l.inputs[i]);
    assert(t !== undefined, `layer ${l.name} reads ${l.inputs[i]}, which was not exported before it`);
    return t;
  };
  for (const l of layers) {
    if (!needed.has(l.name) || tensorOf.has(l.name)) continue;
    const c = l.config;
    switch (l.className) {
      case 'InputLayer':
        tensorOf.set(l.name, g.op('Transpose', [ONNX_INPUT], 'to_nchw', { perm: [0, 3, 1, 2] }));
        break;
      case 'ZeroPadding2D': {
        const [[top, bottom], [left, right]] = c.padding as number[][];
        const next = readers.get(l.name) ?? [];
        if (next.length !== 1 || !['Conv2D', 'DepthwiseConv2D'].includes(next[0].className) || next[0].config.padding !== 'valid') throw unsupported(l, 'only padding read by one valid convolution exports');
        padded.set(l.name, { input: input(l), pads: [top, left, bottom, right] });
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const depthwise = l.className === 'DepthwiseConv2D';
        if (c.dataFormat !== 'channelsLast' || (c.dilationRate as number[]).some((d) => d !== 1) || c.activation !== 'linear') throw unsupported(l, 'only channels-last, undilated, linear convolutions export');
        const [kh, kw] = c.kernelSize as number[];
        const strides = c.strides as number[];
        const pad = padded.get(l.inputs[0]);
        let pads: number[];
        if (pad) pads = pad.pads;
        else if (c.padding === 'valid') pads = [0, 0, 0, 0];
        else if (c.padding === 'same' && strides.every((s) => s === 1)) pads = [(kh - 1) / 2, (kw - 1) / 2, (kh - 1) / 2, (kw - 1) / 2];
        else throw unsupported(l, `padding ${String(c.padding)} at strides ${strides.join('x')}`);
        const next = readers.get(l.name) ?? [];
        const bn = next.length === 1 && next[0].className === 'BatchNormalization' ? next[0] : null;
        const [kernel, bias] = l.weights;
        const y = g.conv(pad ? pad.input : input(l), l.name, kernel, c.useBias ? bias : null, bn && batchNormAffine(bn, bn.name), { depthwise, strides, padding: pads });
        tensorOf.set(l.name, y);
        if (bn) tensorOf.set(bn.name, y);
        break;
      }
      case 'BatchNormalization':
        throw unsupported(l, 'a batch norm exports only folded into the convolution before it, when nothing else reads that convolution');
      case 'ReLU': {
        if (Number(c.negativeSlope ?? 0) !== 0 || Number(c.threshold ?? 0) !== 0) throw unsupported(l, 'only a plain or capped ReLU exports');
        const max = c.maxValue;
        if (max === null || max === undefined) tensorOf.set(l.name, g.op('Relu', [input(l)], l.name));
        else tensorOf.set(l.name, g.op('Clip', [input(l), g.constant(`${l.name}/min`, [], Float32Array.of(0)), g.constant(`${l.name}/max`, [], Float32Array.of(Number(max)))], l.name));
        break;
      }
      case 'Add':
        tensorOf.set(l.name, l.inputs.slice(1).reduce((sum, _, i) => g.op('Add', [sum, input(l, i + 1)], i === l.inputs.length - 2 ? l.name : `${l.name}/${i}`), input(l)));
        break;
      default:
        throw unsupported(l, 'no ONNX export for this layer type');
    }
  }
  const pooled = g.op('GlobalAveragePool', [tensorOf.get(cut)!], 'pool'); // [n, c, 1, 1]
  g.op('Flatten', [pooled], 'flatten', { axis: 1 }, ONNX_OUTPUT);
  return encodeOnnxModel({
    opset: OPSET,
    producer: 'fewshot-match lib/embedder/onnx-keras.ts',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: ONNX_INPUT, dims: ['n', shape.side, shape.side, shape.channels] }],
    outputs: [{ name: ONNX_OUTPUT, dims: ['n', shape.dim] }],
  });
}

/** The layers of a TF.js functional model as `exportKerasPrefixOnnx` reads them (their weights copied out). */
export function kerasLayers(model: LayersModel): KerasLayer[] {
  return model.layers.map((layer) => ({
    name: layer.name,
    className: layer.getClassName(),
    config: layer.getConfig() as Record<string, unknown>,
    inputs: layer.inboundNodes.length === 0 ? [] : layer.inboundNodes[0].inboundLayers.map((l) => l.name),
    weights: layer.getWeights().map((w) => ({ values: Float32Array.from(w.dataSync() as Float32Array), shape: [...w.shape] })),
  }));
}
