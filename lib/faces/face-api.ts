/**
 * The one owner of `@vladmandic/face-api`: loads its CommonJS build that takes TF.js from outside
 * (`dist/face-api.node-wasm.js` does `require('@tensorflow/tfjs')`, unlike `face-api.js`/`esm.js`,
 * which bundle a second tfjs), checks that it shares the project's one TF.js engine, and loads the
 * pretrained weights from `node_modules` with fs (never fetched), refusing any file whose SHA-256
 * differs from the pin: an upgrade would silently invalidate every stored embedding. The loaded
 * models also carry BlazeFace (`./blazeface`, vendored and pinned the same way).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { assert } from '@/lib/errors';
import { initTf, type NamedTensorMap, type Tensor3D, type Tf } from '@/lib/embedder/backend';
import { ONNX_INPUT, ONNX_OUTPUT, type LayerWeight } from '@/lib/embedder/onnx-export';
import { onnxUnlessFallback, openOnnxSession, type OnnxSession } from '@/lib/embedder/onnx-runtime';
import type { InferenceChoice } from '@/lib/embedder/weights';
import { exportDescriptorOnnx } from './descriptor-onnx';
import { exportLandmarksOnnx } from './landmarks-onnx';
import { BLAZEFACE_PINS, blazeFaceDir, loadBlazeFace, type BlazeFace } from './blazeface';
import { readPinnedFile, weightsMismatch, type WeightPins } from '@/lib/embedder/pins';

/** npm package the detector, landmark and descriptor weights come from. */
export const FACE_API_PACKAGE = '@vladmandic/face-api';
/** The package version the pins below were taken from. */
export const FACE_API_VERSION = '1.7.15';

/** Weight files (manifest + shard) of the nets we use, relative to the package's `model/` folder. */
export type FaceNetName = 'tinyFaceDetector' | 'ssdMobilenetv1' | 'faceLandmark68Net' | 'faceRecognitionNet';

/** File stem of each net in `model/`. */
export const FACE_NET_FILES: Readonly<Record<FaceNetName, string>> = Object.freeze({
  tinyFaceDetector: 'tiny_face_detector_model',
  ssdMobilenetv1: 'ssd_mobilenetv1_model',
  faceLandmark68Net: 'face_landmark_68_model',
  faceRecognitionNet: 'face_recognition_model',
});

/** Pins of the face-api weights. */
export type FaceWeightPins = WeightPins;

/** Pins of @vladmandic/face-api 1.7.15 (sha256sum of node_modules/@vladmandic/face-api/model/*). */
export const FACE_WEIGHT_PINS: FaceWeightPins = Object.freeze({
  package: FACE_API_PACKAGE,
  version: FACE_API_VERSION,
  sha256: Object.freeze({
    'tiny_face_detector_model-weights_manifest.json': '5d1af4849ac48d5b985f4a9b16010c512353ddd6fcc63d50fd0bc9e9e64296e5',
    'tiny_face_detector_model.bin': 'b7503ce7df31039b1c43316a9b865cab6a70dd748cc602d3fa28b551503c3871',
    'ssd_mobilenetv1_model-weights_manifest.json': '888f744dffbc84f5f060d1f8427d9742341943a2dfaaf9205d10029b7e7a2955',
    'ssd_mobilenetv1_model.bin': '2835640602d53718aa6ae9a42896327eaa21beefed056c218d32ca7d79e1e2f8',
    'face_landmark_68_model-weights_manifest.json': 'ca4886639f86e99b39fed0c155f81b63317225773bd9616716e887b0153389c9',
    'face_landmark_68_model.bin': '4611ef65c87d836d03d684b30eec4d195d8b219fa1dd58fc58945831c6b9299b',
    'face_recognition_model-weights_manifest.json': 'cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b',
    'face_recognition_model.bin': 'b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589',
  }),
});

/** One face as face-api reports it: detector box and score, 68 landmarks in image pixels. */
export interface RawFace {
  /** Detector output. */
  detection: { score: number; box: { x: number; y: number; width: number; height: number } };
  /** The 68-point landmarks (iBUG 300-W order). */
  landmarks: { positions: { x: number; y: number }[] };
}

/** The part of face-api's API we call (its bundled .d.ts carries its own copy of the tfjs types). */
export interface FaceApi {
  /** The TF.js face-api runs on (must be ours). */
  tf: Tf;
  /** Net singletons. */
  nets: Record<FaceNetName, { loadFromWeightMap(weightMap: NamedTensorMap): void }> & {
    faceRecognitionNet: { computeFaceDescriptor(input: Tensor3D[]): Promise<Float32Array | Float32Array[]> };
    /** Landmarks of one face crop, in the crop's pixels. */
    faceLandmark68Net: { detectLandmarks(input: Tensor3D): Promise<{ positions: { x: number; y: number }[] }> };
  };
  /** Options of the tiny detector (YOLOv2-style, input side a multiple of 32). */
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => object;
  /** Options of SSD MobileNet v1. */
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults: number }) => object;
  /** Detects every face with the net the options name. */
  detectAllFaces(input: Tensor3D, options: object): { withFaceLandmarks(): Promise<RawFace[]> };
}

/** The loaded face-api module (nets hold their weights) and the TF.js it runs on. */
export interface FaceModels {
  /** face-api's namespace; its `nets` singletons are loaded. */
  api: FaceApi;
  /** The project's shared TF.js. */
  tf: Tf;
  /** Pins the weights were verified against. */
  pins: FaceWeightPins;
  /** BlazeFace's nets (vendored, pinned separately). */
  blazeFace: BlazeFace;
  /** The recognition and landmark nets' weights (face-api's names, dequantised), which the sessions below are exported from. */
  netWeights: ReadonlyMap<ExportedNet, ReadonlyMap<string, LayerWeight>>;
  /** The descriptor on ONNX Runtime (./descriptor-onnx.ts), or null: face-api's net on TF.js. */
  descriptorOnnx: OnnxSession | null;
  /** The 68-point landmark net on ONNX Runtime (./landmarks-onnx.ts), or null: face-api's net on TF.js. */
  landmarksOnnx: OnnxSession | null;
}

/** face-api nets with an ONNX export. */
type ExportedNet = 'faceRecognitionNet' | 'faceLandmark68Net';

/** Options of `loadFaceModels`. */
export interface LoadFaceModelsOptions {
  /** Expected version and hashes (default `FACE_WEIGHT_PINS`; a face model passes its manifest's). */
  pins?: FaceWeightPins;
  /** Folder holding the weight files (default the installed package's `model/`). */
  weightsDir?: string;
  /** Expected BlazeFace files (default `BLAZEFACE_PINS`; a face model passes its face.json's). */
  blazeFacePins?: FaceWeightPins;
  /** Folder of the BlazeFace files (default `blazeFaceDir()`). */
  blazeFaceDir?: string;
  /**
   * Runtime of BlazeFace, the landmark net and the descriptor (default `auto`: ONNX Runtime,
   * exported in memory from the verified weights, else TF.js with one log line each; `onnx`: an
   * error when it cannot; `tfjs`).
   */
  inference?: InferenceChoice;
}

const requireHere = createRequire(import.meta.url);
let loaded: { key: string; models: Promise<FaceModels> } | undefined;

/** Folder of the installed package (resolved at run time, so it also works from Next's server output). */
export function faceApiPackageDir(): string {
  return path.dirname(requireHere.resolve(`${FACE_API_PACKAGE}/package.json`));
}

/** Reads every pinned file, checks its SHA-256 and returns the bytes by file name. */
async function readPinnedFiles(weightsDir: string, pins: FaceWeightPins): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const stem of Object.values(FACE_NET_FILES)) {
    for (const file of [`${stem}-weights_manifest.json`, `${stem}.bin`]) {
      files.set(file, await readPinnedFile(weightsDir, file, pins, `reinstall ${pins.package}@${pins.version} with npm ci`));
    }
  }
  return files;
}

/** Checks the installed package version and every file's hash; returns the verified bytes. */
async function verify(opts: Required<LoadFaceModelsOptions>): Promise<Map<string, Uint8Array>> {
  const { pins, weightsDir } = opts;
  const installed = (requireHere(`${FACE_API_PACKAGE}/package.json`) as { version: string }).version;
  if (pins.package !== FACE_API_PACKAGE || pins.version !== installed) {
    throw weightsMismatch(`face weights: expected ${pins.package}@${pins.version}, got ${FACE_API_PACKAGE}@${installed} installed; install the pinned version or re-train the face model`, { expected: `${pins.package}@${pins.version}`, got: `${FACE_API_PACKAGE}@${installed}` });
  }
  return readPinnedFiles(weightsDir, pins);
}

/** A face-api net's ONNX Runtime session for `inference`, exported from its weights (null: TF.js; see `LoadFaceModelsOptions.inference`). */
function netSession(what: string, exportOnnx: () => Uint8Array, inference: InferenceChoice): Promise<OnnxSession | null> {
  return onnxUnlessFallback(inference, () => openOnnxSession(exportOnnx(), { inputName: ONNX_INPUT, outputName: ONNX_OUTPUT }), `[faces] ${what}`, `${what} on TF.js`);
}

/** The sessions of the exported face-api nets for `inference`. */
async function netSessions(weights: FaceModels['netWeights'], inference: InferenceChoice): Promise<Pick<FaceModels, 'descriptorOnnx' | 'landmarksOnnx'>> {
  return {
    descriptorOnnx: await netSession('descriptors', () => exportDescriptorOnnx(weights.get('faceRecognitionNet')!), inference),
    landmarksOnnx: await netSession('landmarks', () => exportLandmarksOnnx(weights.get('faceLandmark68Net')!), inference),
  };
}

async function load(opts: Required<LoadFaceModelsOptions>): Promise<FaceModels> {
  const files = await verify(opts);
  const { tf } = await initTf('auto');
  const api = requireHere(`${FACE_API_PACKAGE}/dist/face-api.node-wasm.js`) as FaceApi;
  const netWeights = new Map<ExportedNet, Map<string, LayerWeight>>();
  // Two TF.js copies would not share tensors or kernels (instanceof checks, kernel registry).
  assert(api.tf.engine() === tf.engine() && api.tf.Tensor === tf.Tensor, `${FACE_API_PACKAGE} resolved a second copy of @tensorflow/tfjs; dedupe node_modules`);
  for (const [net, stem] of Object.entries(FACE_NET_FILES) as [FaceNetName, string][]) {
    const manifest = JSON.parse(new TextDecoder().decode(files.get(`${stem}-weights_manifest.json`))) as { paths: string[]; weights: Parameters<Tf['io']['decodeWeights']>[1] }[];
    assert(manifest.length === 1 && manifest[0].paths.length === 1 && manifest[0].paths[0] === `${stem}.bin`, `${stem}: expected one weight group with the shard ${stem}.bin`);
    const shard = files.get(`${stem}.bin`)!;
    const buffer = shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength) as ArrayBuffer;
    // Dequantises uint8 weights into float32 tensors: name -> tensor.
    const weightMap = tf.io.decodeWeights(buffer, manifest[0].weights);
    if (net === 'faceRecognitionNet' || net === 'faceLandmark68Net') {
      netWeights.set(net, new Map(Object.entries(weightMap).map(([name, t]) => [name, { values: Float32Array.from(t.dataSync() as Float32Array), shape: [...t.shape] }])));
    }
    api.nets[net].loadFromWeightMap(weightMap);
  }
  const blazeFace = await loadBlazeFace(tf, opts.blazeFacePins, opts.blazeFaceDir, opts.inference);
  return { api, tf, pins: opts.pins, blazeFace, netWeights, ...(await netSessions(netWeights, opts.inference)) };
}

/**
 * Loads face-api's detector, landmark and descriptor nets onto the shared TF.js once per process.
 * Throws `face_weights_mismatch` (naming the file, expected and got) when the installed package or
 * any weight file differs from `pins`; later calls with the same options return the same models.
 */
export async function loadFaceModels(opts: LoadFaceModelsOptions = {}): Promise<FaceModels> {
  const resolved = {
    pins: opts.pins ?? FACE_WEIGHT_PINS,
    weightsDir: opts.weightsDir ?? path.join(faceApiPackageDir(), 'model'),
    blazeFacePins: opts.blazeFacePins ?? BLAZEFACE_PINS,
    blazeFaceDir: opts.blazeFaceDir ?? blazeFaceDir(),
    inference: opts.inference ?? 'auto',
  };
  const key = JSON.stringify(resolved);
  if (loaded?.key === key) return loaded.models;
  const current = loaded ? await loaded.models.catch(() => undefined) : undefined;
  if (current) {
    // face-api's nets are module singletons: verify the other location, but keep the nets loaded
    // (identical bytes, as the pins match).
    await verify(resolved);
    assert(JSON.stringify(current.pins.sha256) === JSON.stringify(resolved.pins.sha256), 'face weights with different pins are already loaded in this process');
    // BlazeFace's graph models are not singletons: load the other location's (each file checked);
    // the descriptor's runtime is this call's.
    const blazeFace = await loadBlazeFace(current.tf, resolved.blazeFacePins, resolved.blazeFaceDir, resolved.inference);
    return { ...current, blazeFace, ...(await netSessions(current.netWeights, resolved.inference)) };
  }
  const models = load(resolved);
  loaded = { key, models };
  models.catch(() => {
    if (loaded?.models === models) loaded = undefined;
  });
  return models;
}
