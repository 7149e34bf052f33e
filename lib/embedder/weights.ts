/**
 * Save / load of towers as standard TF.js layers-model files (`model.json` + `weights.bin`) plus
 * `manifest.json`. A custom IOHandler does the file I/O: the wasm backend has no `file://` handler.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, NotFoundError } from '@/lib/errors';
import { getTf, type Tf } from './backend';
import { embedBatch, towerTestShifts } from './embed';
import { readManifest, type ModelManifest } from './manifest';
import { registerTowerLayers, type LayersModel, type TowerSpec } from './tower';

/** A loaded model: its manifest and an embed function. */
export interface EmbeddingModel {
  /** The validated manifest. */
  manifest: ModelManifest;
  /** L2-normalised embeddings, batched and tidy (numTensors flat). */
  embed(inputs: Float32Array[]): Promise<Float32Array[]>;
  /** Frees the weights. */
  dispose(): void;
}

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

/** Saves a model folder: TF.js files + `manifest.json`. */
export async function saveModel(dir: string, model: LayersModel, manifest: ModelManifest): Promise<void> {
  await saveLayersModel(dir, model);
  await writeFile(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Loads a model folder (manifest validated; embedding dim checked against the network). */
export async function loadModel(dir: string): Promise<EmbeddingModel> {
  const tf = getTf();
  const manifest = await readManifest(dir);
  const model = await loadLayersModel(tf, dir);
  const outDim = model.outputs[0].shape[model.outputs[0].shape.length - 1];
  if (outDim !== manifest.embeddingDim) {
    model.dispose();
    throw new InputError('embedding_dim_mismatch', `${dir}: manifest says ${manifest.embeddingDim}-d embeddings, network outputs ${outDim}-d`);
  }
  const inputShape =
    manifest.input.type === 'image'
      ? [manifest.input.preprocess.inputSizePx, manifest.input.preprocess.inputSizePx, manifest.input.preprocess.channels]
      : [manifest.input.dim];
  return {
    manifest,
    embed: (inputs) => embedBatch(tf, model, inputs, inputShape, { testShifts: towerTestShifts(manifest.architecture as unknown as TowerSpec) }),
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
