/** The data sets `npm run train` and the retraining job read, split into training and held-out identities. */
import path from 'node:path';
import { InputError } from '@/lib/errors';
import type { Dataset } from '@/lib/datasets/types';
import type { PreprocessSpec } from '@/lib/imaging';
import type { TrainingData } from './artifact';
import type { TrainConfig } from './config';
import { createRng } from '@/lib/calibration/rng';
import { loadVectorDataset } from './vector-dataset';

/**
 * Splits a data set by identity: a seeded `share` of identities held out (at least 2) for
 * validation and calibration, then a further `evaluationShare` left out of both (never seen by the
 * model: what `evaluate make-heldout` copies for `evaluate identify|openset`). The held-out draw
 * does not depend on `evaluationShare`, so 0 gives the split of old runs.
 */
export function splitIdentities(ds: Dataset, share: number, seed: number, evaluationShare = 0): TrainingData {
  const order = createRng(seed + 31).shuffle(ds.identities.map((_, i) => i));
  const nHeld = Math.max(2, Math.round(ds.identities.length * share));
  const nEval = Math.round(ds.identities.length * evaluationShare);
  const held = new Set(order.slice(0, nHeld));
  const unseen = new Set(order.slice(nHeld, nHeld + nEval));
  const pick = (inHeld: boolean) => ds.identities.filter((_, i) => held.has(i) === inHeld && !unseen.has(i));
  const train = { ...ds, identities: pick(false) };
  const validation = { ...ds, identities: pick(true) };
  return { train, validation, source: ds.name, trainNames: train.identities.map((i) => i.identity), heldOutNames: validation.identities.map((i) => i.identity) };
}

/**
 * Whether a data set trains a conv tower on pixels (omniglot, fashion-mnist, folder:), as opposed
 * to a dense head on vectors (vectors:, photos:). Such a run starts TF.js with oneDNN on
 * (`InitOptions.onednn`): it runs no face-api net, and the backbone of photos stays out of it.
 */
export function isImageDataset(dataset: string): boolean {
  return !dataset.startsWith('vectors:') && !dataset.startsWith('photos:');
}

/** Loads the config's data set split into training and held-out identities (`maxTrainIdentities` applied); `log` hears slow steps. */
export async function loadTrainingData(config: TrainConfig, log?: (msg: string) => void): Promise<TrainingData> {
  const data = await loadSplit(config, log);
  limitTrain(data, config);
  return data;
}

async function loadSplit(config: TrainConfig, log?: (msg: string) => void): Promise<TrainingData> {
  const spec: PreprocessSpec = { inputSizePx: config.inputSizePx, channels: 1, invert: true, fit: 'fill' };
  const { dataset } = config;
  if (dataset === 'omniglot') {
    const { loadOmniglot, OMNIGLOT_SPLIT } = await import('@/lib/datasets/omniglot');
    const zipPath = path.join(config.dataDir, 'omniglot-background', 'images_background.zip');
    const train = await loadOmniglot({ zipPath, spec, alphabets: OMNIGLOT_SPLIT.train, cacheDir: config.cacheDir });
    const validation = await loadOmniglot({ zipPath, spec, alphabets: OMNIGLOT_SPLIT.heldOut, cacheDir: config.cacheDir });
    return { train, validation, source: `omniglot-background (${zipPath})`, trainNames: [...OMNIGLOT_SPLIT.train], heldOutNames: [...OMNIGLOT_SPLIT.heldOut] };
  }
  if (dataset === 'fashion-mnist') {
    // Split by class: 7 classes train, 3 held out (each class is an identity).
    const { loadFashionMnist, FASHION_MNIST_CLASSES } = await import('@/lib/datasets/fashion-mnist');
    const fashionSpec: PreprocessSpec = { ...spec, invert: false };
    const train = await loadFashionMnist(config.fashionMnistDir, fashionSpec, { classes: [0, 1, 2, 3, 4, 5, 6], limitPerClass: 1000 });
    const validation = await loadFashionMnist(config.fashionMnistDir, fashionSpec, { classes: [7, 8, 9], limitPerClass: 300, split: 'test' });
    const names = (c: number[]) => c.map((k) => String(FASHION_MNIST_CLASSES[k]));
    return { train, validation, source: `fashion-mnist (${config.fashionMnistDir})`, trainNames: names([0, 1, 2, 3, 4, 5, 6]), heldOutNames: names([7, 8, 9]) };
  }
  if (dataset.startsWith('folder:')) {
    const { loadFolderDataset } = await import('@/lib/datasets/folder');
    return splitIdentities(await loadFolderDataset(dataset.slice('folder:'.length), spec), config.heldOutShare, config.seed, config.evaluationShare);
  }
  if (dataset.startsWith('vectors:')) return splitIdentities(await loadVectorDataset(dataset.slice('vectors:'.length)), config.heldOutShare, config.seed, config.evaluationShare);
  if (dataset.startsWith('photos:')) {
    // Photos (issue 19): the frozen backbone's cached features, split by identity like any vector set.
    const { getTf } = await import('@/lib/embedder/backend');
    const { loadPhotoBackbone } = await import('@/lib/embedder/photo-backbone');
    const { loadPhotoDataset } = await import('./photo-features');
    const backbone = await loadPhotoBackbone(getTf());
    try {
      const ds = await loadPhotoDataset(dataset.slice('photos:'.length), backbone, { cacheDir: config.cacheDir, log });
      return { ...splitIdentities(ds, config.heldOutShare, config.seed, config.evaluationShare), backbone: backbone.backbone };
    } finally {
      backbone.dispose();
    }
  }
  throw new InputError('invalid_config', `unknown dataset ${dataset}; expected omniglot, fashion-mnist, folder:<path>, vectors:<file> or photos:<path>`);
}

function limitTrain(split: TrainingData, config: TrainConfig): void {
  if (config.maxTrainIdentities <= 0 || config.maxTrainIdentities >= split.train.identities.length) return;
  const keep = new Set(createRng(config.seed + 17).shuffle(split.train.identities.map((_, i) => i)).slice(0, config.maxTrainIdentities));
  split.train = { ...split.train, identities: split.train.identities.filter((_, i) => keep.has(i)) };
}

