/**
 * face-api's 68-point landmark net (`faceLandmark68Net`, ./detect.ts) → ONNX, from its verified
 * weight map, so the landmarks that place the alignment run on ONNX Runtime (issue 20). The graph
 * follows face-api's `FaceFeatureExtractor.forwardInput`, `denseBlock4` and `FaceProcessor.runNet`:
 * - input [n, 112, 112, 3], RGB in 0..255 → NCHW, then (x − mean RGB) / 255;
 * - four dense blocks, each halving the side: conv0 (a plain convolution with bias in the first
 *   block, else a depthwise-separable one) at stride 2, then three depthwise-separable
 *   convolutions at stride 1, each reading the ReLU of the sum of the outputs before it, the
 *   block's output the ReLU of all four summed; a depthwise-separable convolution is a depthwise
 *   3x3 and a pointwise 1x1 with bias, TensorFlow `same` padding (ONNX SAME_UPPER);
 * - a 7x7 stride-2 average pool (to 1x1), then the fully connected layer: 136 values, the 68
 *   points' x, y relative to the input (face-api's `postProcess` is the identity for a square
 *   input of the net's own size, which ./detect.ts always passes).
 */
import { Graph, ONNX_OUTPUT, type LayerWeight } from '@/lib/embedder/onnx-export';
import { encodeFaceApiNet, faceApiInput, weightLookup } from './face-api-onnx';
/** Side of the landmark net's input. */
export const LANDMARK_INPUT_PX = 112;

/** The `.onnx` bytes of the landmark net whose weight map (face-api's names) is `weights`: input `input` [n, 112, 112, 3], output `output` [n, 136]. */
export function exportLandmarksOnnx(weights: ReadonlyMap<string, LayerWeight>): Uint8Array {
  const g = new Graph();
  const weight = weightLookup(weights, 'landmark net');
  /** A convolution of `kernel` (with `bias`, or none) over `x`, TensorFlow `same` padding. */
  const conv = (x: string, name: string, kernel: LayerWeight, bias: LayerWeight | null, stride: number, depthwise: boolean): string =>
    g.conv(x, name, kernel, bias, null, { depthwise, strides: [stride, stride], padding: 'SAME_UPPER' });
  const separable = (x: string, prefix: string, stride: number): string => {
    const dw = conv(x, `${prefix}/depthwise`, weight(`${prefix}/depthwise_filter`), null, stride, true);
    return conv(dw, `${prefix}/pointwise`, weight(`${prefix}/pointwise_filter`), weight(`${prefix}/bias`), 1, false);
  };
  const relu = (x: string, name: string) => g.op('Relu', [x], name);
  const add = (a: string, b: string, name: string) => g.op('Add', [a, b], name);

  let x = faceApiInput(g);
  for (let b = 0; b < 4; b++) {
    const p = `dense${b}`;
    const first = b === 0 ? conv(x, `${p}/conv0`, weight(`${p}/conv0/filters`), weight(`${p}/conv0/bias`), 2, false) : separable(x, `${p}/conv0`, 2);
    const out1 = relu(first, `${p}/out1`);
    const out2 = separable(out1, `${p}/conv1`, 1);
    const out3 = separable(relu(add(out1, out2, `${p}/sum2`), `${p}/in3`), `${p}/conv2`, 1);
    const out4 = separable(relu(add(out1, add(out2, out3, `${p}/sum23`), `${p}/sum3`), `${p}/in4`), `${p}/conv3`, 1);
    x = relu(add(out1, add(out2, add(out3, out4, `${p}/sum34`), `${p}/sum234`), `${p}/sum4`), `${p}/out`);
  }
  const pooled = g.op('Flatten', [g.op('AveragePool', [x], 'pool', { kernel_shape: [7, 7], strides: [2, 2] })], 'flatten', { axis: 1 });
  const fc = weight('fc/weights');
  g.op('Add', [g.op('MatMul', [pooled, g.constant('fc/W', fc.shape, fc.values)], 'fc'), g.constant('fc/b', [fc.shape[1]], weight('fc/bias').values)], 'fc_bias', undefined, ONNX_OUTPUT);
  return encodeFaceApiNet(g, 'fewshot-match lib/faces/landmarks-onnx.ts', LANDMARK_INPUT_PX, fc.shape[1]);
}
