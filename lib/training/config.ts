/**
 * Every knob of a training run, as one strict zod schema (unknown keys are errors), and the
 * presets: `quick` (the no-flags `npm run train`, <= 5 minutes on wasm on 2 cores), `default`
 * (the committed object model: two members trained apart and joined; needs tfjs-node, `npm run build:tfjs-node`)
 * and `retrain` (the dashboard's fine-tuning of a collection's model on its gallery).
 */
import { z } from 'zod';
import { InputError } from '@/lib/errors';

/** zod schema of `TrainConfig`; every field has a default. */
export const trainConfigSchema = z.strictObject({
  /** Seed of every RNG (sampling, augmentation, initialisation). */
  seed: z.number().int().min(0).default(1),
  /** Data set: `omniglot`, `fashion-mnist`, `folder:<path>`, `vectors:<file>` or `photos:<path>` (a photo folder as cached backbone features). */
  dataset: z.string().min(1).default('omniglot'),
  /** Folder holding `omniglot-background/` (relative to the repository root). */
  dataDir: z.string().default('../shared/data'),
  /** Folder of Fashion-MNIST IDX files (Debian `dataset-fashion-mnist`). */
  fashionMnistDir: z.string().default('/usr/share/datasets/fashion-mnist'),
  /** Cache of preprocessed data sets (gitignored). */
  cacheDir: z.string().default('runs/cache'),
  /** Model kind written to the manifest. */
  kind: z.enum(['object', 'face']).default('object'),
  /** Input side in pixels (image data sets). */
  inputSizePx: z.number().int().min(8).max(32).default(28),
  /** Share of identities held out for validation / calibration (folder and vector data sets). */
  heldOutShare: z.number().gt(0).lt(1).default(0.2),
  /** Share of identities left out of training and calibration alike, for `npm run evaluate` (folder, vector and photo data sets). */
  evaluationShare: z.number().min(0).lt(1).default(0),
  /** Use at most this many training identities (0 = all); held-out identities are not affected. */
  maxTrainIdentities: z.number().int().min(0).default(0),
  /** Treat each 90-degree rotation of a training identity as a new identity (Vinyals et al. 2016). */
  rotations90: z.boolean().default(true),
  /** Random affine jitter of every training image draw. */
  affine: z.boolean().default(true),
  /** Max affine rotation, degrees. */
  affineRotateDeg: z.number().min(0).max(45).default(10),
  /** Max relative affine scale change. */
  affineScale: z.number().min(0).max(0.5).default(0.1),
  /** Max affine shear factor. */
  affineShear: z.number().min(0).max(0.5).default(0.15),
  /** Max affine shift, share of the side. */
  affineShift: z.number().min(0).max(0.3).default(0.08),
  /** Conv filters per block (image tower); each block halves the side. */
  filters: z.array(z.number().int().positive()).min(1).max(5).default([64, 64, 64, 64]),
  /** Batch norm in the conv blocks (use on tfjs-node; on wasm its gradient halves training speed). */
  batchNorm: z.boolean().default(false),
  /** Embed each image as the normalised mean over itself and its 1-pixel shifts (test-time augmentation; validation, calibration and serving, not training steps). */
  testShifts: z.boolean().default(false),
  /** Hidden layer widths (vector tower). */
  hidden: z.array(z.number().int().positive()).default([256]),
  /** Embedding length. */
  embeddingDim: z.number().int().min(2).max(1024).default(64),
  /** Loss: batch-hard triplet (Hermans 2017), semi-hard triplet (FaceNet), contrastive (Hadsell 2006) or prototypical (Snell 2017, in-batch). */
  loss: z.enum(['triplet-batch-hard', 'triplet-semi-hard', 'contrastive', 'prototypical']).default('prototypical'),
  /** Prototypical loss only: softmax temperature on squared distances of unit vectors. */
  temperature: z.number().gt(0).default(0.1),
  /** Margin m of the loss, in embedding distance (embeddings are unit vectors: distances in [0, 2]). */
  margin: z.number().gt(0).max(2).default(0.5),
  /** Batch-hard only: soft margin ln(1 + exp(d_ap - d_an)) instead of the hinge. */
  softMargin: z.boolean().default(false),
  /** P: identities per triplet batch. */
  identitiesPerBatch: z.number().int().min(2).default(32),
  /** K: images per identity in a triplet batch. */
  imagesPerIdentity: z.number().int().min(2).default(4),
  /** Triplet/prototypical: draw each batch's P identities from this many groups (alphabets; 0 = any identities). */
  groupsPerBatch: z.number().int().min(0).default(0),
  /** Pairs per contrastive batch (even: half same, half different). */
  pairsPerBatch: z.number().int().min(2).multipleOf(2).default(64),
  /** Hard mining share: triplet = share of P slots given to nearest identities; contrastive = share of negatives mined. */
  hardNegativeShare: z.number().min(0).max(0.5).default(0.25),
  /** Epochs; an epoch is one pass over the training identities (as seeds of P x K batches). */
  epochs: z.number().int().min(1).default(20),
  /** Steps per epoch (0 = one pass over the training identities). */
  stepsPerEpoch: z.number().int().min(0).default(0),
  /** Adam learning rate at epoch 0. */
  learningRate: z.number().gt(0).default(1e-3),
  /** Multiplicative learning-rate decay per epoch. */
  lrDecay: z.number().gt(0).max(1).default(0.9),
  /** Floor of the decayed learning rate. */
  lrMin: z.number().min(0).default(5e-5),
  /** N of the per-epoch N-way one-shot validation on held-out identities. */
  validationWays: z.number().int().min(2).default(20),
  /** Trials of the per-epoch validation. */
  validationTrials: z.number().int().min(1).default(400),
  /** Validation trials draw their N identities from one group (Omniglot: one alphabet). */
  validationWithinGroup: z.boolean().default(true),
  /** Max impostor pairs for calibration (a seeded sample when there are more). */
  calibrationImpostorPairs: z.number().int().min(1000).default(500_000),
  /** TF.js backend (`auto` = tensorflow when tfjs-node loads, else wasm). */
  backend: z.enum(['auto', 'tensorflow', 'wasm']).default('auto'),
});

/** The resolved training config. */
export type TrainConfig = z.infer<typeof trainConfigSchema>;

/** Names of the presets. */
export type PresetName = 'quick' | 'default' | 'retrain' | 'photo';

/** Preset overrides on top of the schema defaults. */
export const PRESETS = Object.freeze({
  // <= 5 minutes on wasm (2 shared cores) including data loading: 3 short epochs over 200 characters
  // (measured 3 min 31 s from an empty data cache, 68 s of it loading).
  quick: { maxTrainIdentities: 200, epochs: 3, stepsPerEpoch: 20, identitiesPerBatch: 16, validationTrials: 200, calibrationImpostorPairs: 100_000 },
  // The committed object model's members (PRESET_MEMBERS): all 773 training characters (x4
  // rotations), batch norm, prototypical loss over 30 x 4 batches drawn from 3 alphabets at a time,
  // 100 steps per epoch on tfjs-node (about 95 + 105 minutes here).
  default: {
    maxTrainIdentities: 0,
    batchNorm: true,
    groupsPerBatch: 3,
    identitiesPerBatch: 30,
    imagesPerIdentity: 4,
    learningRate: 0.002,
    lrDecay: 0.965,
    epochs: 90,
    stepsPerEpoch: 100,
    validationTrials: 400,
    calibrationImpostorPairs: 500_000,
    backend: 'tensorflow',
  },
  // The retraining job's fine-tuning shape (lib/matching/models/retrain-job.ts; issue 8): every gallery
  // identity, a slow decay (it starts from trained weights), P x K = 16 x 4 batches from any
  // identities (the job lowers P for a smaller gallery), a lighter validation and calibration. Its
  // epochs, steps and learning rate come from the job's settings.
  retrain: {
    maxTrainIdentities: 0,
    lrDecay: 0.95,
    identitiesPerBatch: 16,
    imagesPerIdentity: 4,
    groupsPerBatch: 0,
    validationTrials: 200,
    calibrationImpostorPairs: 200_000,
  },
  // The photo head (issue 19): a 320 -> 256 -> 128 MLP over the frozen MobileNetV2 features of
  // grocery-store's 81 products: 37 train, 20 held out for validation and calibration, 24 never
  // seen (`evaluate make-heldout` copies them for `evaluate identify|openset`); P x K = 16 x 4
  // batches, 5-way validation across the held-out products. 12 calibration products (0.15) left
  // the measured open-set FAR at 1e-2 at 3-9x target, 20 at 1.8-4.8x (README, Photo objects).
  photo: {
    dataset: 'photos:../shared/data/grocery-store/images',
    heldOutShare: 0.25,
    evaluationShare: 0.3,
    maxTrainIdentities: 0,
    hidden: [256],
    embeddingDim: 128,
    identitiesPerBatch: 16,
    imagesPerIdentity: 4,
    epochs: 30,
    stepsPerEpoch: 40,
    validationWays: 5,
    validationWithinGroup: false,
    calibrationImpostorPairs: 200_000,
  },
} satisfies Record<PresetName, Partial<TrainConfig>>);

/**
 * Presets that train an ensemble: each entry is one member's overrides on top of the preset. The
 * members train apart, each its own run in `runs/`, and `--merge` joins them (the committed object
 * model: a 32x32 and a 28x28 tower).
 */
export const PRESET_MEMBERS: Readonly<Partial<Record<PresetName, readonly Partial<TrainConfig>[]>>> = Object.freeze({
  default: [{ inputSizePx: 32, epochs: 50, lrDecay: 0.93 }, {}],
});

/** Resolves a config: schema defaults <- preset <- overrides (e.g. from --config and --key=value). */
export function resolveTrainConfig(preset: PresetName, ...overrides: Record<string, unknown>[]): TrainConfig {
  const merged = Object.assign({}, PRESETS[preset], ...overrides);
  const parsed = trainConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InputError('invalid_config', `invalid training config: ${msg}`);
  }
  return Object.freeze(parsed.data) as TrainConfig;
}
