/**
 * A photo model as the embedding worker serves it (issue 19): preprocessed photos (the backbone's
 * spec) -> the frozen backbone's pooled features -> the trained head -> L2-normalised embeddings.
 *
 * Runtimes, both chosen by the worker's `inference`: the backbone (MobileNetV2 of nsfwjs,
 * ./photo-backbone.ts) runs on ONNX Runtime, exported in memory from its pinned weights
 * (./onnx-keras.ts), else on the worker's TF.js backend; the head runs where `loadModel` puts it:
 * ONNX Runtime when the model folder has its `model.onnx` artefact, else TF.js.
 */
import { InputError } from '@/lib/errors';
import { getTf } from './backend';
import { modelDomain } from './manifest';
import { loadPhotoBackbone, type LoadedBackbone } from './photo-backbone';
import { loadModel, type EmbeddingModel, type LoadModelOptions } from './weights';

/** Loaded backbones by id, shared by every photo model of one worker (one network per backbone). */
export type BackboneCache = Map<string, Promise<LoadedBackbone>>;

/**
 * Loads a model folder for serving: drawing and face-head models as `loadModel` does (their inputs
 * are model inputs); a photo model (manifest `domain: photo`) takes the backbone's preprocessed
 * photos instead of features, its backbone loaded once into `backbones`.
 */
export async function loadServingModel(dir: string, opts: LoadModelOptions & { backbones: BackboneCache }): Promise<EmbeddingModel> {
  const head = await loadModel(dir, opts);
  const { manifest } = head;
  if (modelDomain(manifest) !== 'photo') return head;
  const spec = manifest.backbone;
  if (!spec) {
    head.dispose();
    throw new InputError('invalid_manifest', `${dir}: a photo model names its backbone; the manifest names none`);
  }
  let backbone = opts.backbones.get(spec.id);
  if (!backbone) {
    backbone = loadPhotoBackbone(getTf(), spec, { inference: opts.inference });
    opts.backbones.set(spec.id, backbone);
    // A failed load is not kept: the next model that names the backbone tries again.
    backbone.catch(() => opts.backbones.delete(spec.id));
  }
  const loaded = await backbone.catch((err: unknown) => {
    head.dispose();
    throw err;
  });
  // [n, 224, 224, 3] photos -> [n, 320] pooled features -> [n, embeddingDim]
  const embedWithFeatures = async (inputs: Float32Array[]) => {
    const features = await loaded.features(inputs);
    return { embeddings: await head.embed(features), features };
  };
  return {
    manifest,
    runtime: head.runtime,
    embed: async (inputs) => (await embedWithFeatures(inputs)).embeddings,
    embedWithFeatures,
    // The backbone stays: other photo models of this worker share it.
    dispose: () => head.dispose(),
  };
}
