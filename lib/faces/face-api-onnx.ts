/**
 * What face-api's nets share when written as ONNX (./descriptor-onnx.ts, ./landmarks-onnx.ts): the
 * weight lookup by face-api's names, the input face-api builds (NHWC RGB in 0..255 → NCHW,
 * (x − mean RGB) / 255) and the encoding of the graph with its square input and flat output.
 */
import { assert } from '@/lib/errors';
import { Graph, ONNX_INPUT, ONNX_OUTPUT, type LayerWeight } from '@/lib/embedder/onnx-export';
import { encodeOnnxModel } from '@/lib/embedder/onnx-proto';

/** ONNX opset of the exported graphs (Pad takes its pads as an input). */
const OPSET = 17;
/** face-api's normalisation (its recognition and landmark nets): the mean RGB it subtracts before dividing by 255. */
const FACE_API_MEAN_RGB = [122.782, 117.001, 104.298];

/** A lookup of `net`'s weights by face-api's names; a missing one is an invariant failure. */
export function weightLookup(weights: ReadonlyMap<string, LayerWeight>, net: string): (name: string) => LayerWeight {
  return (name) => {
    const w = weights.get(name);
    assert(w !== undefined, `the ${net} has no weight ${name}`);
    return w;
  };
}

/** The graph's input as face-api normalises it: NCHW, (x − mean RGB) / 255. */
export function faceApiInput(g: Graph): string {
  const nchw = g.op('Transpose', [ONNX_INPUT], 'to_nchw', { perm: [0, 3, 1, 2] });
  const centred = g.op('Sub', [nchw, g.constant('mean_rgb', [1, 3, 1, 1], Float32Array.from(FACE_API_MEAN_RGB))], 'centred');
  return g.op('Div', [centred, g.constant('255', [], Float32Array.of(255))], 'normalised');
}

/** The `.onnx` bytes of `g`: input [n, side, side, 3], output [n, outputDim] (its last node writes `output`). */
export function encodeFaceApiNet(g: Graph, producer: string, side: number, outputDim: number): Uint8Array {
  assert(g.nodes[g.nodes.length - 1].outputs[0] === ONNX_OUTPUT, `${producer}: the last node writes the graph output`);
  return encodeOnnxModel({
    opset: OPSET,
    producer,
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [{ name: ONNX_INPUT, dims: ['n', side, side, 3] }],
    outputs: [{ name: ONNX_OUTPUT, dims: ['n', outputDim] }],
  });
}
