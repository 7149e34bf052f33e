/**
 * What the retraining job needs of a collection's current model, by kind and domain: how a stored
 * image becomes a training input, the tower to fine-tune, and how the current model embeds the
 * held-out inputs for the comparison.
 */
import { embedTower } from '@/lib/embedder/embed';
import type { Tf } from '@/lib/embedder/backend';
import { modelDomain, type ModelManifest } from '@/lib/embedder/manifest';
import { loadPhotoBackbone, type LoadedBackbone, type PhotoBackbone } from '@/lib/embedder/photo-backbone';
import type { LayersModel, TowerSpec } from '@/lib/embedder/tower';
import { loadLayersModel } from '@/lib/embedder/weights';
import { loadOmniglot, OMNIGLOT_SPLIT } from '@/lib/datasets/omniglot';
import type { Dataset, VectorSpec } from '@/lib/datasets/types';
import { InputError, InvariantError } from '@/lib/errors';
import { DESCRIPTOR_DIM, FaceRefusedError, loadFaceModel, prepareFaces, writeFaceConfig, type DetectMode } from '@/lib/faces';
import { preprocessImage, type PreprocessSpec } from '@/lib/imaging';
import type { TrainConfig } from '@/lib/training/config';
import { loadPhotoDataset, photoFeatures } from '@/lib/training/photo-features';
import { decodeUpload } from '@/lib/matching/runtime/embed-input';
import type { GalleryInput } from './gallery-dataset';

/** Identities of a base data set, and the names the candidate's manifest records them by. */
export interface NamedDataset {
  dataset: Dataset;
  names: string[];
}

/** A base data set: identities to train on, and (photos) identities to calibrate on. */
export type BaseSet = NamedDataset & { calibration?: NamedDataset };

/**
 * The current model as the job trains from it. Drawings: pixels in, the conv tower fine-tuned from
 * the current weights. Photos: the frozen backbone's cached features in, the head fine-tuned.
 * Faces: face-api descriptors in (detected and aligned as enrolment does), the head over them
 * fine-tuned, or trained from scratch when the current model is the plain descriptor.
 */
export interface ModelSource {
  spec: PreprocessSpec | VectorSpec;
  toInput: GalleryInput;
  /** Tower knobs of the training config (the current architecture, or a new head's). */
  tower: Partial<TrainConfig>;
  /** Tower to start from (null: a fresh head). */
  init: { model: LayersModel; tower: TowerSpec } | null;
  /** The frozen backbone the inputs come from (photos): the candidate is then a photo model too. */
  backbone?: PhotoBackbone;
  /** The current model's embeddings of inputs. */
  embedCurrent: (inputs: Float32Array[]) => Promise<Float32Array[]>;
  /**
   * The base training set of the kind under `root` (`baseDataPath`), with the names the candidate's
   * manifest records it by; null when it has fewer than 2 identities there. Drawings: Omniglot
   * background's training alphabets. Photos: the products the current model trained on (its
   * `data.train`) found as folders of `root`, and the products it calibrated on (`data.heldOut`) as
   * `calibration`, which the candidate calibrates on beside the gallery's calibration identities;
   * either without those named in `exclude` (the gallery's identities, which train or evaluate as
   * the split says).
   */
  loadBase: (root: string, exclude: ReadonlySet<string>) => Promise<BaseSet | null>;
  /** Writes what a model of this kind needs beside the manifest and weights. */
  finish: (dir: string) => Promise<void>;
  /** What the job result reports of the inputs (photos: backbone runs and cache hits, the gallery's and the base set's). */
  report: () => Record<string, unknown>;
  dispose: () => void;
}

async function drawingSource(tf: Tf, dir: string, manifest: ModelManifest, cacheDir: string): Promise<ModelSource> {
  if (manifest.input.type !== 'image') throw new InputError('retrain_unsupported', `model ${manifest.version} does not take images`);
  const spec = manifest.input.preprocess;
  const arch = manifest.architecture as unknown as Exclude<TowerSpec, { type: 'mlp' }>;
  const first = arch.type === 'ensemble' ? arch.members[0] : arch;
  const current = await loadLayersModel(tf, dir);
  return {
    spec,
    toInput: async (bytes) => preprocessImage(await decodeUpload(bytes), spec),
    // The config records the knobs (the first member's for an ensemble); the init tower is what trains.
    tower: { inputSizePx: spec.inputSizePx, filters: first.filters, batchNorm: first.batchNorm ?? false, embeddingDim: first.embeddingDim, testShifts: arch.testShifts ?? false },
    init: { model: current, tower: arch },
    embedCurrent: (inputs) => embedTower(tf, current, arch, inputs),
    loadBase: async (zipPath) => ({ dataset: await loadOmniglot({ zipPath, spec, alphabets: OMNIGLOT_SPLIT.train, cacheDir }), names: [...OMNIGLOT_SPLIT.train] }),
    finish: async () => undefined,
    report: () => ({}),
    dispose: () => current.dispose(),
  };
}

/**
 * A photo model: the head trains on the backbone's features of the gallery, read from the feature
 * cache (`cacheDir`, keyed by image sha256 and backbone id; lib/training/photo-features.ts), so the
 * backbone runs only on images no earlier retrain (or `npm run train|evaluate` with the same cache
 * folder) has seen, and is not even loaded when every feature is cached.
 */
async function photoSource(tf: Tf, dir: string, manifest: ModelManifest, cacheDir: string): Promise<ModelSource> {
  const backbone = manifest.backbone;
  const arch = manifest.architecture as unknown as Extract<TowerSpec, { type: 'mlp' }>;
  if (!backbone || arch.type !== 'mlp') throw new InvariantError(`photo model ${manifest.version} must name its backbone and be an MLP head`);
  const current = await loadLayersModel(tf, dir);
  let network: Promise<LoadedBackbone> | null = null;
  const lazy: LoadedBackbone = {
    backbone,
    features: async (inputs) => (await (network ??= loadPhotoBackbone(tf, backbone))).features(inputs),
    dispose: () => void network?.then((n) => n.dispose()),
  };
  const counts = { backboneRuns: 0, cachedFeatures: 0 };
  let baseCounts: typeof counts | null = null;
  return {
    spec: { type: 'vector', dim: backbone.dim },
    toInput: async (bytes) => {
      const { features, computed } = await photoFeatures(lazy, [bytes], { cacheDir });
      counts.backboneRuns += computed;
      counts.cachedFeatures += 1 - computed;
      return features[0];
    },
    // Quarter turns and affine warps apply to pixels; a feature vector trains as it is.
    tower: { hidden: arch.hidden, embeddingDim: manifest.embeddingDim, rotations90: false, affine: false },
    init: { model: current, tower: arch },
    backbone,
    embedCurrent: (inputs) => embedTower(tf, current, arch, inputs),
    loadBase: async (root, exclude) => {
      const keep = (names: string[]) => new Set(names.filter((name) => !exclude.has(name)));
      const [train, heldOut] = [keep(manifest.data.train), keep(manifest.data.heldOut)];
      const all = await loadPhotoDataset(root, lazy, {
        cacheDir,
        identities: new Set([...train, ...heldOut]),
        onComputed: (computed, total) => (baseCounts = { backboneRuns: computed, cachedFeatures: total - computed }),
      });
      // Named without the server's path: the manifest is shown through the API.
      const part = (names: Set<string>, what: string): NamedDataset => {
        const identities = all.identities.filter((i) => names.has(i.identity));
        return { dataset: { ...all, name: `grocery-store (${identities.length} ${what} products of ${manifest.version})`, identities }, names: identities.map((i) => i.identity) };
      };
      const base = part(train, 'training');
      const calibration = part(heldOut, 'calibration');
      return base.names.length >= 2 ? { ...base, ...(calibration.names.length > 0 ? { calibration } : {}) } : null;
    },
    finish: async () => undefined,
    report: () => ({ features: { ...counts }, ...(baseCounts ? { baseFeatures: { ...baseCounts } } : {}) }),
    dispose: () => {
      current.dispose();
      lazy.dispose();
    },
  };
}

async function faceSource(tf: Tf, dir: string, detect: DetectMode): Promise<ModelSource> {
  const face = await loadFaceModel(dir);
  const arch = face.manifest.architecture as { type?: string; hidden?: number[] };
  const init = face.config.head ? { model: await loadLayersModel(tf, dir), tower: face.manifest.architecture as unknown as TowerSpec } : null;
  return {
    spec: { type: 'vector', dim: DESCRIPTOR_DIM },
    toInput: async (bytes) => {
      const img = await decodeUpload(bytes);
      const faces = await prepareFaces(img, { mode: detect, purpose: 'enroll', detector: face.config.detector, thresholds: face.config.thresholds, models: face.models, alignment: face.config.alignment }).catch((err: unknown) => {
        if (err instanceof FaceRefusedError) return [];
        throw err;
      });
      return faces[0]?.descriptor ?? null;
    },
    tower: { hidden: arch.type === 'mlp' && arch.hidden ? arch.hidden : [256], embeddingDim: face.manifest.embeddingDim, rotations90: false, affine: false },
    init,
    embedCurrent: (inputs) => face.embed(inputs),
    loadBase: async () => null,
    finish: (out) => writeFaceConfig(out, { ...face.config, head: 'model.json' }),
    report: () => ({}),
    dispose: () => {
      init?.model.dispose();
      face.dispose();
    },
  };
}

/** The source of the current model in `dir` (photo features cached under `cacheDir`). */
export async function openModelSource(o: { tf: Tf; kind: string; dir: string; manifest: ModelManifest; detect: DetectMode; cacheDir: string }): Promise<ModelSource> {
  if (o.kind === 'face') return faceSource(o.tf, o.dir, o.detect);
  return modelDomain(o.manifest) === 'photo' ? photoSource(o.tf, o.dir, o.manifest, o.cacheDir) : drawingSource(o.tf, o.dir, o.manifest, o.cacheDir);
}
