/**
 * A TF.js graph model (a converted TensorFlow GraphDef: `modelTopology.node`) → ONNX, for the op
 * set of BlazeFace (lib/faces/blazeface.ts) under ONNX Runtime (issue 20). Like ./onnx-export.ts it
 * reads plain arrays, no TF.js.
 *
 * - Layout: the NHWC input is transposed once to NCHW, and image tensors stay NCHW; a Reshape reads
 *   its input transposed back to NHWC, so its output is laid out as TensorFlow's.
 * - `_FusedConv2D` (BiasAdd, optionally Relu) and `DepthwiseConv2dNative` become ONNX Conv (the
 *   depthwise one with `group` = channels; ./onnx-export.ts `Graph.conv`); `MaxPool` stays MaxPool.
 *   TensorFlow's `SAME` padding (the odd pixel at the end) is ONNX `auto_pad` SAME_UPPER, `VALID`
 *   is VALID.
 * - `Pad` (constant paddings, NHWC) becomes ONNX Pad with the pads reordered to NCHW; `AddV2` is
 *   Add, `Relu` Relu, `Identity` passes through.
 * - Any other op, dilation, data format or fused op on the way to the outputs:
 *   `onnx_export_unsupported`, a NotReadyError, so `auto` inference stays on TF.js.
 */
import { assert, NotReadyError } from '@/lib/errors';
import { encodeOnnxModel } from './onnx-proto';
import { Graph, ONNX_INPUT } from './onnx-export';

/** ONNX opset of the exported graph (Pad and Reshape take their pads and shape as inputs). */
const OPSET = 17;

/** A node of the graph (the JSON's `modelTopology.node[i]`). */
export interface TfGraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { s?: string; list?: { i?: string[]; s?: string[] }; b?: boolean }>;
}

/** A constant's values (the loaded model's weights by node name). */
export interface TfConstant {
  values: Float32Array | Int32Array;
  shape: number[];
}

function unsupported(node: TfGraphNode, why: string): NotReadyError {
  return new NotReadyError('onnx_export_unsupported', `node ${node.name} (${node.op}): ${why}`);
}

/** A string attribute (base64 in the JSON). */
function text(node: TfGraphNode, key: string): string | undefined {
  const s = node.attr?.[key]?.s;
  return s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');
}

/** An integer-list attribute. */
function ints(node: TfGraphNode, key: string): number[] | undefined {
  return node.attr?.[key]?.list?.i?.map(Number);
}

/**
 * The `.onnx` bytes of the graph `nodes` computing `outputs` (node names) from its one
 * Placeholder, fed as `input` [n, h, w, c]; the graph outputs are named after `outputs`, in order.
 * `constant(name)` gives a Const node's values.
 */
export function exportTfGraphOnnx(nodes: readonly TfGraphNode[], outputs: readonly string[], constant: (name: string) => TfConstant, inputDims: readonly number[]): Uint8Array {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const g = new Graph();
  /** ONNX tensor of each exported node, and whether it is an NCHW image (else laid out as TensorFlow's). */
  const done = new Map<string, { name: string; nchw: boolean }>();
  const sources = (n: TfGraphNode) => (n.input ?? []).filter((i) => !i.startsWith('^')).map((i) => i.replace(/:0$/, ''));
  const autoPad = (n: TfGraphNode): string => {
    const padding = text(n, 'padding');
    if (padding === 'SAME') return 'SAME_UPPER';
    if (padding === 'VALID') return 'VALID';
    throw unsupported(n, `padding ${padding}`);
  };
  const checkImageOp = (n: TfGraphNode): void => {
    if ((text(n, 'data_format') ?? 'NHWC') !== 'NHWC') throw unsupported(n, 'only NHWC exports');
    if ((ints(n, 'dilations') ?? [1, 1, 1, 1]).some((d) => d !== 1)) throw unsupported(n, 'dilated');
    if ((n.attr?.explicit_paddings?.list?.i ?? []).length > 0) throw unsupported(n, 'explicit paddings');
  };
  const floats = (c: TfConstant, name: string): Float32Array => {
    assert(c.values instanceof Float32Array, `constant ${name} is not float32`);
    return c.values;
  };

  const visit = (name: string): { name: string; nchw: boolean } => {
    const known = done.get(name);
    if (known) return known;
    const n = byName.get(name);
    assert(n !== undefined, `node ${name} is not in the graph`);
    const ins = sources(n);
    const image = (i: number) => {
      const t = visit(ins[i]);
      if (!t.nchw) throw unsupported(n, 'reads a reshaped tensor');
      return t.name;
    };
    let out: { name: string; nchw: boolean };
    switch (n.op) {
      case 'Placeholder':
        out = { name: g.op('Transpose', [ONNX_INPUT], 'to_nchw', { perm: [0, 3, 1, 2] }), nchw: true };
        break;
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative': {
        checkImageOp(n);
        const depthwise = n.op === 'DepthwiseConv2dNative';
        const fused = (n.attr?.fused_ops?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));
        if (!depthwise && !(fused[0] === 'BiasAdd' && (fused.length === 1 || (fused.length === 2 && fused[1] === 'Relu')))) throw unsupported(n, `fused ops ${fused.join(', ')}`);
        const filter = constant(ins[1]);
        const bias = depthwise ? null : { values: floats(constant(ins[2]), ins[2]), shape: [filter.shape[3]] };
        const strides = ints(n, 'strides') ?? [1, 1, 1, 1];
        const padding = autoPad(n) === 'VALID' ? [0, 0, 0, 0] : 'SAME_UPPER';
        const y = g.conv(image(0), n.name, { values: floats(filter, ins[1]), shape: filter.shape }, bias, null, { depthwise, strides: [strides[1], strides[2]], padding });
        out = { name: fused[1] === 'Relu' ? g.op('Relu', [y], `${n.name}/relu`) : y, nchw: true };
        break;
      }
      case 'MaxPool': {
        checkImageOp(n);
        const [, kh, kw] = ints(n, 'ksize') ?? [];
        const [, sh, sw] = ints(n, 'strides') ?? [];
        out = { name: g.op('MaxPool', [image(0)], n.name, { kernel_shape: [kh, kw], strides: [sh, sw], auto_pad: autoPad(n) }), nchw: true };
        break;
      }
      case 'AddV2':
        out = { name: g.op('Add', [image(0), image(1)], n.name), nchw: true };
        break;
      case 'Relu':
        out = { name: g.op('Relu', [image(0)], n.name), nchw: true };
        break;
      case 'Pad': {
        const p = Array.from(constant(ins[1]).values); // [[n0, n1], [h0, h1], [w0, w1], [c0, c1]]
        if (p.length !== 8) throw unsupported(n, 'only 4-d paddings export');
        const pads = [p[0], p[6], p[2], p[4], p[1], p[7], p[3], p[5]]; // NCHW begins, then ends
        out = { name: g.op('Pad', [image(0), g.constant(`${n.name}/pads`, [8], { int64: pads })], n.name), nchw: true };
        break;
      }
      case 'Reshape': {
        const nhwc = g.op('Transpose', [image(0)], `${n.name}/to_nhwc`, { perm: [0, 2, 3, 1] });
        const shape = Array.from(constant(ins[1]).values);
        out = { name: g.op('Reshape', [nhwc, g.constant(`${n.name}/shape`, [shape.length], { int64: shape })], n.name), nchw: false };
        break;
      }
      case 'Identity':
        out = visit(ins[0]);
        break;
      default:
        throw unsupported(n, 'no ONNX export for this op');
    }
    done.set(name, out);
    return out;
  };

  // Each output gets its own name (an Identity node where an output is another node's tensor).
  const results = outputs.map((o) => g.op('Identity', [visit(o).name], `output/${o}`));
  return encodeOnnxModel({
    opset: OPSET,
    producer: 'fewshot-match lib/embedder/onnx-tfgraph.ts',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: ONNX_INPUT, dims: [...inputDims] }],
    outputs: results.map((name, i) => ({ name, dims: [`${i}_a`, `${i}_b`, `${i}_c`] })),
  });
}
