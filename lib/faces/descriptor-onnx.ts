/**
 * face-api's recognition net (./descriptor.ts) → ONNX, from its verified weight map, so the 128-d
 * descriptor runs on ONNX Runtime (issue 20). The graph follows face-api's
 * `src/faceRecognitionNet` (`forwardInput`, `convLayer`, `residualLayer`, `scaleLayer`):
 * - input [n, 150, 150, 3], RGB in 0..255 → NCHW, then (x − mean RGB) / 255;
 * - a conv layer is a convolution with bias, then the scale layer s · x + t, folded into the
 *   convolution (lib/embedder/onnx-export.ts `Graph.conv`); `same` at stride 1, or stride 2 `valid`
 *   (`convDown`); ReLU unless `convNoRelu`;
 * - a 3x3 stride-2 max pool after the first conv layer;
 * - residual: relu(conv2(conv1(x)) + x);
 * - residualDown: conv1 at stride 2, conv2, plus a shortcut of x through a 2x2 stride-2 average
 *   pool, zero-padded in channels up to conv2's; where the convolution's side is one short of the
 *   pool's (odd sides), its output is zero-padded at the end of height and width, as face-api
 *   concatenates zeros there;
 * - the mean over height and width, times `fc` (no bias): the raw descriptor.
 */
import { assert } from '@/lib/errors';
import { Graph, ONNX_OUTPUT, type LayerWeight } from '@/lib/embedder/onnx-export';
import { DESCRIPTOR_INPUT_PX } from './align';
import { encodeFaceApiNet, faceApiInput, weightLookup } from './face-api-onnx';
/** The residual stages after the first conv layer, in order: `down` ones halve the side. */
const STAGES: readonly { name: string; down: boolean }[] = [
  ...['conv32_1', 'conv32_2', 'conv32_3'].map((name) => ({ name, down: false })),
  { name: 'conv64_down', down: true },
  ...['conv64_1', 'conv64_2', 'conv64_3'].map((name) => ({ name, down: false })),
  { name: 'conv128_down', down: true },
  ...['conv128_1', 'conv128_2'].map((name) => ({ name, down: false })),
  { name: 'conv256_down', down: true },
  ...['conv256_1', 'conv256_2'].map((name) => ({ name, down: false })),
  { name: 'conv256_down_out', down: true },
];

/** A tensor of the graph with its NCHW channels and side. */
interface Node {
  name: string;
  channels: number;
  side: number;
}

/** The `.onnx` bytes of the recognition net whose weight map (face-api's names) is `weights`: input `input` [n, 150, 150, 3], output `output` [n, 128]. */
export function exportDescriptorOnnx(weights: ReadonlyMap<string, LayerWeight>): Uint8Array {
  const g = new Graph();
  const weight = weightLookup(weights, 'recognition net');
  const int64 = (name: string, values: number[]) => g.constant(name, [values.length], { int64: values });

  const convLayer = (x: Node, prefix: string, down: boolean, relu: boolean): Node => {
    const kernel = weight(`${prefix}/conv/filters`);
    const [kh, kw, cin, cout] = kernel.shape;
    assert(cin === x.channels, `${prefix}: kernel for ${cin} channels on ${x.channels}`);
    const affine = { scale: weight(`${prefix}/scale/weights`).values, shift: weight(`${prefix}/scale/biases`).values };
    const padding = down ? [0, 0, 0, 0] : [(kh - 1) / 2, (kw - 1) / 2, (kh - 1) / 2, (kw - 1) / 2];
    const y = g.conv(x.name, `${prefix}/conv`, kernel, weight(`${prefix}/conv/bias`), affine, { strides: down ? [2, 2] : [1, 1], padding });
    const side = down ? Math.floor((x.side - kh) / 2) + 1 : x.side;
    return { name: relu ? g.op('Relu', [y], `${prefix}/relu`) : y, channels: cout, side };
  };

  const residual = (x: Node, prefix: string, down: boolean): Node => {
    let out = convLayer(convLayer(x, `${prefix}/conv1`, down, true), `${prefix}/conv2`, false, false);
    let shortcut = x;
    if (down) {
      shortcut = { name: g.op('AveragePool', [x.name], `${prefix}/pool`, { kernel_shape: [2, 2], strides: [2, 2] }), channels: x.channels, side: Math.floor(x.side / 2) };
      if (shortcut.channels !== out.channels) {
        const extra = out.channels - shortcut.channels;
        shortcut = { ...shortcut, name: g.op('Pad', [shortcut.name, int64(`${prefix}/pool_pads`, [0, 0, 0, 0, 0, extra, 0, 0])], `${prefix}/pool_padded`), channels: out.channels };
      }
      if (out.side !== shortcut.side) {
        const short = shortcut.side - out.side;
        assert(short === 1, `${prefix}: convolution side ${out.side} against pool side ${shortcut.side}`);
        out = { ...out, name: g.op('Pad', [out.name, int64(`${prefix}/conv_pads`, [0, 0, 0, 0, 0, 0, short, short])], `${prefix}/conv_padded`), side: shortcut.side };
      }
    }
    return { ...out, name: g.op('Relu', [g.op('Add', [out.name, shortcut.name], `${prefix}/add`)], `${prefix}/out`) };
  };

  const first = convLayer({ name: faceApiInput(g), channels: 3, side: DESCRIPTOR_INPUT_PX }, 'conv32_down', true, true);
  let x: Node = { name: g.op('MaxPool', [first.name], 'pool', { kernel_shape: [3, 3], strides: [2, 2] }), channels: first.channels, side: Math.floor((first.side - 3) / 2) + 1 };
  for (const stage of STAGES) x = residual(x, stage.name, stage.down);
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [x.name], 'global_pool')], 'flatten', { axis: 1 });
  const fc = weight('fc');
  assert(fc.shape[0] === x.channels, `fc takes ${fc.shape[0]} features, the net gives ${x.channels}`);
  g.op('MatMul', [pooled, g.constant('fc', fc.shape, fc.values)], 'fc', undefined, ONNX_OUTPUT);
  return encodeFaceApiNet(g, 'fewshot-match lib/faces/descriptor-onnx.ts', DESCRIPTOR_INPUT_PX, fc.shape[1]);
}
