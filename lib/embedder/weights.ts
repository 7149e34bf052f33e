/**
 * Save / load of towers as standard TF.js layers-model files (`model.json` + `weights.bin`), the
 * same tower exported to ONNX (`model.onnx`, ./onnx-export.ts) and `manifest.json` pinning both. A custom IOHandler does the file I/O: the wasm backend has no `file://` handler.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, NotFoundError } from '@/lib/errors';
import { getTf, type Tf } from './backend';
import { embedBatch, towerTestShifts } from './embed';
import { manifestBytesWith, readManifest, sha256Hex, type FileRef, type ModelArtefacts, type ModelManifest } from './manifest';
import { openOnnxEmbedder } from './onnx-embed';
import { onnxUnlessFallback } from './onnx-runtime';
import { exportTowerOnnx, type LayerState } from './onnx-export';
import { registerTowerLayers, type LayersModel, type TowerSpec } from './tower';

/** Which runtime runs inference: `auto` is ONNX Runtime where the model has an .onnx artefact and the runtime loads, else TF.js. */
export type InferenceChoice = 'auto' | 'onnx' | 'tfjs';
/** The runtime a loaded model runs on. */
export type InferenceRuntime = 'onnx' | 'tfjs';

/** Embeddings and, in the same order, the backbone features a photo model computed them from. */
export interface EmbeddedWithFeatures {
  embeddings: Float32Array[];
  features: Float32Array[];
}

/** A loaded model: its manifest and an embed function. */
export interface EmbeddingModel {
  /** The validated manifest. */
  manifest: ModelManifest;
  /** The runtime its `embed` runs on. */
  runtime: InferenceRuntime;
  /** L2-normalised embeddings, batched (on TF.js tidy: numTensors flat). */
  embed(inputs: Float32Array[]): Promise<Float32Array[]>;
  /** A photo model's embeddings with the frozen backbone's features they came from (./photo-model.ts); absent elsewhere. */
  embedWithFeatures?(inputs: Float32Array[]): Promise<EmbeddedWithFeatures>;
  /** Frees the weights. */
  dispose(): void;
}

/** Options of `loadModel`. */
export interface LoadModelOptions {
  /** Inference runtime (default `tfjs`; the embedding worker passes ML_INFERENCE, default `auto`). */
  inference?: InferenceChoice;
}

/** File name of the ONNX artefact in a model folder. */
export const ONNX_FILE = 'model.onnx';

/** The subset of TF.js `ModelArtifacts` we write and read. */
type TfArtifacts = {
  modelTopology?: object | ArrayBuffer;
  weightSpecs?: { name: string; shape: number[]; dtype: string }[];
  weightData?: ArrayBuffer | ArrayBuffer[];
};

/** Concatenates one or more ArrayBuffers (TF.js may hand weight data in shards). */
function concatBuffers(data: ArrayBuffer | ArrayBuffer[]): ArrayBuffer {
  if (!Array.isArray(data)) return data;
  const total = data.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), o);
    o += b.byteLength;
  }
  return out.buffer;
}

/** Writes `model.json` + `weights.bin` of a layers model into `dir` (created if missing). */
export async function saveLayersModel(dir: string, model: LayersModel): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save({
    save: async (artifacts: TfArtifacts) => {
      const modelJson = {
        format: 'layers-model',
        generatedBy: 'fewshot-match lib/embedder/weights.ts',
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      const weightData = concatBuffers(artifacts.weightData ?? new ArrayBuffer(0));
      await writeFile(path.join(dir, 'weights.bin'), new Uint8Array(weightData));
      await writeFile(path.join(dir, 'model.json'), `${JSON.stringify(modelJson)}\n`);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const, weightDataBytes: weightData.byteLength } };
    },
  });
}

/** Reads a layers model written by `saveLayersModel` (or any single-shard TF.js layers model). */
export async function loadLayersModel(tf: Tf, dir: string): Promise<LayersModel> {
  registerTowerLayers(tf);
  const file = path.join(dir, 'model.json');
  let json: { modelTopology: object; weightsManifest: { paths: string[]; weights: TfArtifacts['weightSpecs'] }[] };
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new NotFoundError('model_not_found', `cannot read ${file}: ${(e as Error).message}`);
  }
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights ?? []);
  const shards = await Promise.all(
    json.weightsManifest.flatMap((g) => g.paths).map(async (p) => {
      const b = await readFile(path.join(dir, p));
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    }),
  );
  const model = await tf.loadLayersModel({
    load: async () => ({ modelTopology: json.modelTopology, weightSpecs, weightData: concatBuffers(shards) }),
  } as Parameters<Tf['loadLayersModel']>[0]);
  return model as unknown as LayersModel;
}

/** Every layer's trained weights and config by name, as plain arrays (the exporter's input). */
export function towerLayerStates(model: LayersModel): Map<string, LayerState> {
  return new Map(
    model.layers.map((layer) => [
      layer.name,
      { weights: layer.getWeights().map((w) => ({ values: Float32Array.from(w.dataSync() as Float32Array), shape: [...w.shape] })), config: layer.getConfig() as Record<string, unknown> },
    ]),
  );
}

/**
 * Exports the tower `spec` to `model.onnx` beside its TF.js files (written before) and returns
 * both artefacts pinned by sha256, for the manifest.
 */
async function writeOnnxArtefact(dir: string, model: LayersModel, spec: TowerSpec): Promise<ModelArtefacts> {
  await writeFile(path.join(dir, ONNX_FILE), exportTowerOnnx(spec, towerLayerStates(model)));
  const ref = async (file: string): Promise<FileRef> => ({ file, sha256: sha256Hex(new Uint8Array(await readFile(path.join(dir, file)))) });
  return { tfjs: { model: await ref('model.json'), weights: await ref('weights.bin') }, onnx: await ref(ONNX_FILE) };
}

/** Saves a model folder: TF.js files, `model.onnx` and `manifest.json` naming both with their sha256. */
export async function saveModel(dir: string, model: LayersModel, manifest: ModelManifest): Promise<void> {
  await saveLayersModel(dir, model);
  const artefacts = await writeOnnxArtefact(dir, model, manifest.architecture as unknown as TowerSpec);
  await writeFile(path.join(dir, 'manifest.json'), `${JSON.stringify({ ...manifest, artefacts }, null, 2)}\n`);
}

/**
 * Exports a saved model folder's tower to ONNX (`npm run export-onnx`: models saved before issue
 * 20) and pins both artefacts in its manifest, whose other keys stay as they are.
 */
export async function exportModelOnnx(dir: string): Promise<ModelArtefacts> {
  const manifest = await readManifest(dir);
  const model = await loadLayersModel(getTf(), dir);
  try {
    const artefacts = await writeOnnxArtefact(dir, model, manifest.architecture as unknown as TowerSpec);
    await writeFile(path.join(dir, 'manifest.json'), await manifestBytesWith(dir, { artefacts }));
    return artefacts;
  } finally {
    model.dispose();
  }
}

/** Checks the TF.js files against the manifest's sha256 (manifests that pin them). */
async function checkTfjsArtefacts(dir: string, manifest: ModelManifest): Promise<void> {
  for (const ref of manifest.artefacts ? [manifest.artefacts.tfjs.model, manifest.artefacts.tfjs.weights] : []) {
    const file = path.join(dir, ref.file);
    const got = sha256Hex(new Uint8Array(await readFile(file)));
    if (got !== ref.sha256) throw new InputError('invalid_manifest', `${file}: expected sha256 ${ref.sha256}, got ${got}; the file changed after the manifest was written`);
  }
}

/**
 * Loads a model folder (manifest validated; embedding dim checked against the network). With
 * `inference` `auto`, a model ONNX Runtime cannot run (no artefact, runtime absent, model refused)
 * runs on TF.js, and one log line says so; with `onnx` that is an error.
 */
export async function loadModel(dir: string, { inference = 'tfjs' }: LoadModelOptions = {}): Promise<EmbeddingModel> {
  const manifest = await readManifest(dir);
  const inputShape =
    manifest.input.type === 'image'
      ? [manifest.input.preprocess.inputSizePx, manifest.input.preprocess.inputSizePx, manifest.input.preprocess.channels]
      : [manifest.input.dim];
  const testShifts = towerTestShifts(manifest.architecture as unknown as TowerSpec);
  const onnx = await onnxUnlessFallback(inference, () => openOnnxEmbedder(dir, manifest, inputShape, testShifts), `[embedder] ${manifest.version}`, 'inference on TF.js');
  if (onnx) return { manifest, runtime: 'onnx', embed: (inputs) => onnx.embed(inputs), dispose: () => void onnx.release() };
  const tf = getTf();
  await checkTfjsArtefacts(dir, manifest);
  const model = await loadLayersModel(tf, dir);
  const outDim = model.outputs[0].shape[model.outputs[0].shape.length - 1];
  if (outDim !== manifest.embeddingDim) {
    model.dispose();
    throw new InputError('embedding_dim_mismatch', `${dir}: manifest says ${manifest.embeddingDim}-d embeddings, network outputs ${outDim}-d`);
  }
  return {
    manifest,
    runtime: 'tfjs',
    embed: (inputs) => embedBatch(tf, model, inputs, inputShape, { testShifts }),
    dispose: () => model.dispose(),
  };
}

/** Named tensors (e.g. optimizer state) as one binary blob + JSON specs, via `tf.io.encodeWeights`. */
export async function encodeNamedTensors(
  tf: Tf,
  tensors: { name: string; tensor: ReturnType<Tf['tensor']> }[],
): Promise<{ specs: unknown[]; data: Uint8Array }> {
  const encoded = await tf.io.encodeWeights(tensors);
  return { specs: encoded.specs, data: new Uint8Array(concatBuffers(encoded.data as ArrayBuffer)) };
}

/** Inverse of `encodeNamedTensors`: named tensors (the caller disposes them). */
export function decodeNamedTensors(tf: Tf, specs: unknown[], data: Uint8Array): { name: string; tensor: ReturnType<Tf['tensor']> }[] {
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  const map = tf.io.decodeWeights(buffer, specs as Parameters<Tf['io']['decodeWeights']>[1]);
  return Object.entries(map).map(([name, tensor]) => ({ name, tensor }));
}
