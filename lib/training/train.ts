/**
 * The training loop: one shared tower (twin towers = one network applied to every side), trained
 * with a triplet or contrastive loss on sampled batches, validated each epoch by N-way one-shot
 * accuracy on held-out identities, then calibrated (thresholds) on those held-out identities.
 * Knows nothing of files, HTTP, the database or `process.env`: checkpoints go through hooks.
 * Reproducible: every random draw comes from one seeded RNG whose state is checkpointed.
 */
import { AppError, InputError } from '@/lib/errors';
import type { Dataset } from '@/lib/datasets/types';
import type { Tf } from '@/lib/embedder/backend';
import type { ManifestMember } from '@/lib/embedder/manifest';
import { embedBatch, embedTower } from '@/lib/embedder/embed';
import { buildTower, towerInputShape, type LayersModel, type TowerSpec } from '@/lib/embedder/tower';
import { decodeNamedTensors, encodeNamedTensors } from '@/lib/embedder/weights';
import { randomAffine, rotate90, type AffineLimits } from './augment';
import { calibrate, type Calibration } from '@/lib/calibration';
import type { TrainConfig } from './config';
import { contrastiveLoss, prototypicalLoss, tripletBatchHardLoss, tripletSemiHardLoss } from './loss';
import { oneShotAccuracy } from './oneshot';
import { mineHardNegatives, nearestIdentities, sampleBalancedPairs, sampleGroupedPkEpoch, samplePkEpoch, type ImageRef } from './pairs';
import { pairDistances } from '@/lib/calibration/vectors';
import { createRng } from '@/lib/calibration/rng';

/** Progress of one training step. */
export interface TrainProgress {
  /** Epoch, 1-based. */
  epoch: number;
  /** Number of epochs of the run. */
  epochs: number;
  /** Step within the epoch, 1-based. */
  step: number;
  /** Steps in this epoch. */
  stepsPerEpoch: number;
  /** Loss of this step. */
  loss: number;
  /** Throughput so far this session: pair-equivalents (2 tower passes) per second. */
  pairsPerSecond: number;
  /** Estimated seconds left for the whole run. */
  etaSeconds: number;
  /** Set on the last step of an epoch: held-out validation accuracy after this epoch. */
  valAccuracy?: number;
}

/** Everything needed to continue a run exactly: written after every epoch. */
export interface TrainCheckpoint {
  /** Epochs completed. */
  epoch: number;
  /** RNG state after the last completed epoch. */
  rngState: number;
  /** Per-epoch history so far. */
  lossHistory: { epoch: number; loss: number; valAccuracy?: number }[];
  /** Training seconds so far. */
  trainingSeconds: number;
  /** Images through the tower in training so far (for pairs/s across resumed sessions). */
  imagesSeen: number;
  /** Tower weights (`tf.io.encodeWeights` specs + bytes). */
  weights: { specs: unknown[]; data: Uint8Array };
  /** Adam state (iterations + moments). */
  optimizer: { specs: unknown[]; data: Uint8Array };
}

/** Inputs of `trainEmbedding`. */
export interface TrainOptions {
  /** The TF.js instance from `initTf`. */
  tf: Tf;
  /** Resolved config. */
  config: TrainConfig;
  /** Training identities. */
  train: Dataset;
  /** Held-out identities (never trained on): validation and calibration. */
  validation: Dataset;
  /** Called after every step. */
  onProgress?: (p: TrainProgress) => void;
  /** Stops the run between steps (throws `AppError` code `aborted`). */
  signal?: AbortSignal;
  /** Called after every epoch with a checkpoint. */
  onCheckpoint?: (c: TrainCheckpoint) => Promise<void>;
  /** Continue from this checkpoint. */
  resume?: TrainCheckpoint;
  /** Start from this tower (fine-tuning): its architecture and weights replace the config's tower knobs. */
  init?: { model: LayersModel; tower: TowerSpec };
  /** Asked after every epoch: true ends training there (a time bound); calibration still runs. */
  shouldStop?: () => boolean;
}

/** What a run returns. */
export interface TrainResult {
  /** The trained tower (the caller disposes it). */
  model: LayersModel;
  /** Its architecture. */
  tower: TowerSpec;
  /** Per-epoch loss and validation accuracy. */
  lossHistory: { epoch: number; loss: number; valAccuracy?: number }[];
  /** Final metrics on held-out identities. */
  metrics: Record<string, number>;
  /** Thresholds learned on held-out identities. */
  calibration: Calibration;
  /** Genuine and impostor distances behind `calibration` (for plots). */
  distances: { genuine: Float32Array; impostor: Float32Array };
  /** Mean training throughput over all sessions, pair-equivalents (2 tower passes) per second, validation and mining included. */
  pairsPerSecond: number;
  /** Training wall time (all sessions of a resumed run). */
  trainingSeconds: number;
  /** An ensemble joined from towers trained apart: how each was trained (`lossHistory` is then empty). */
  members?: ManifestMember[];
}

type Tensor = ReturnType<Tf['tensor']>;
type Scalar = ReturnType<Tf['scalar']>;

/** Tower spec implied by a config and a data set. */
export function towerSpecFor(config: TrainConfig, dataset: Dataset): TowerSpec {
  const spec = dataset.spec;
  if ('type' in spec) return { type: 'mlp', inputDim: spec.dim, hidden: [...config.hidden], embeddingDim: config.embeddingDim };
  return {
    type: 'conv', inputSizePx: spec.inputSizePx, channels: spec.channels, filters: [...config.filters], embeddingDim: config.embeddingDim, batchNorm: config.batchNorm,
    ...(config.testShifts ? { testShifts: true } : {}),
  };
}

/** Embeds every image of every identity (no augmentation). */
export async function embedDataset(tf: Tf, model: LayersModel, tower: TowerSpec, dataset: Dataset): Promise<Float32Array[][]> {
  const flat = dataset.identities.flatMap((id) => id.images);
  const all = await embedTower(tf, model, tower, flat);
  let k = 0;
  return dataset.identities.map((id) => id.images.map(() => all[k++]));
}

/** Trains a tower; see the module comment. */
export async function trainEmbedding(opts: TrainOptions): Promise<TrainResult> {
  const { tf, config, train, validation } = opts;
  const tower = opts.init?.tower ?? towerSpecFor(config, train);
  const isImage = tower.type !== 'mlp';
  const side = tower.type !== 'mlp' ? tower.inputSizePx : 0;
  const channels = tower.type !== 'mlp' ? tower.channels : 0;
  const inputShape = towerInputShape(tower);
  const sampleLength = inputShape.reduce((a, b) => a * b, 1);

  // Virtual identities: with rotations90, identity v = base * 4 + quarter turns (a new identity).
  const turns = isImage && config.rotations90 ? 4 : 1;
  const base = train.identities;
  if (base.length * turns < 2) throw new InputError('invalid_dataset', `training needs 2+ identities, got ${base.length}`);
  const imageCounts = base.flatMap((id) => Array<number>(turns).fill(id.images.length));
  // Group of each virtual identity: a rotated alphabet is a new group, as its characters are new identities.
  const groupNames = [...new Set(base.map((id) => id.group))];
  const groupOf = base.flatMap((id) => Array.from({ length: turns }, (_, q) => groupNames.indexOf(id.group) * turns + q));
  const limits: AffineLimits = { rotateDeg: config.affineRotateDeg, scale: config.affineScale, shear: config.affineShear, shift: config.affineShift };

  const rng = createRng(config.seed);
  const model = buildTower(tf, tower, config.seed);
  const optimizer = tf.train.adam(config.learningRate);
  const lossHistory: TrainResult['lossHistory'] = [];
  let startEpoch = 0;
  let priorSeconds = 0;
  let priorImages = 0;
  if (opts.init) {
    try {
      model.setWeights(opts.init.model.getWeights());
    } catch (err) {
      model.dispose();
      throw new InputError('invalid_config', `cannot start from the given model: ${(err as Error).message}; its architecture must match ${JSON.stringify(tower)}`);
    }
  }
  if (opts.resume) {
    const r = opts.resume;
    const weights = decodeNamedTensors(tf, r.weights.specs, r.weights.data);
    model.setWeights(weights.map((w) => w.tensor));
    weights.forEach((w) => w.tensor.dispose());
    const optState = decodeNamedTensors(tf, r.optimizer.specs, r.optimizer.data);
    await optimizer.setWeights(optState);
    optState.forEach((w) => w.tensor.dispose());
    rng.setState(r.rngState);
    lossHistory.push(...r.lossHistory);
    startEpoch = r.epoch;
    priorSeconds = r.trainingSeconds;
    priorImages = r.imagesSeen ?? 0;
  }

  const drawImage = (ref: ImageRef, augment: boolean): Float32Array => {
    const id = base[Math.floor(ref.identity / turns)];
    let img = id.images[ref.image];
    if (!isImage) return img;
    img = rotate90(img, side, channels, ref.identity % turns);
    return augment && config.affine ? randomAffine(img, side, channels, limits, rng) : img;
  };
  const batchTensor = (refs: readonly ImageRef[]): Tensor => {
    const flat = new Float32Array(refs.length * sampleLength);
    refs.forEach((r, i) => flat.set(drawImage(r, true), i * sampleLength));
    return tf.tensor(flat, [refs.length, ...inputShape]); // [n, ...inputShape]
  };

  const varList = model.trainableWeights.map((w) => (w as unknown as { val: ReturnType<Tf['variable']> }).val);
  const runStep = (lossFn: () => Scalar): number => {
    const cost = optimizer.minimize(lossFn, true, varList);
    const value = cost!.dataSync()[0];
    cost!.dispose();
    if (!Number.isFinite(value)) throw new AppError('training_diverged', `loss became ${value}; lower learningRate (now ${config.learningRate})`);
    return value;
  };

  // Validation: fixed trials (same seed every epoch) so epochs are comparable.
  const validate = async (): Promise<number> => {
    const emb = await embedDataset(tf, model, tower, validation);
    const groups = validation.identities.map((id) => (config.validationWithinGroup ? id.group : ''));
    const ways = Math.min(config.validationWays, largestGroup(groups));
    return oneShotAccuracy(emb, groups, { ways, shots: 1, trials: config.validationTrials, withinGroup: true }, createRng(config.seed + 7919));
  };

  const started = Date.now();
  let images = 0;
  const stepsFor = (natural: number) => (config.stepsPerEpoch > 0 ? config.stepsPerEpoch : natural);
  for (let epoch = startEpoch; epoch < config.epochs; epoch++) {
    (optimizer as unknown as { learningRate: number }).learningRate = Math.max(config.lrMin, config.learningRate * config.lrDecay ** epoch);

    // Mine from the current model: 2 images per virtual identity -> nearest identities / images.
    let neighbours: number[][] | null = null;
    let poolRefs: ImageRef[] = [];
    let hardOf: number[] = [];
    if (config.hardNegativeShare > 0 && !(config.groupsPerBatch > 0 && config.loss !== 'contrastive')) {
      poolRefs = imageCounts.flatMap((n, v) => [0, 1].map((k) => ({ identity: v, image: k % n })));
      const emb = await embedBatch(tf, model, poolRefs.map((r) => drawImage(r, false)), inputShape);
      if (config.loss === 'contrastive') {
        hardOf = mineHardNegatives(emb, poolRefs.map((r) => r.identity));
      } else {
        const centroids = imageCounts.map((_, v) => emb[2 * v].map((x, k) => (x + emb[2 * v + 1][k]) / 2));
        neighbours = nearestIdentities(centroids, 4);
      }
    }

    type Step = { refs: ImageRef[]; identities?: number[]; same?: boolean[] };
    const steps: Step[] = [];
    if (config.loss === 'contrastive') {
      const n = stepsFor(Math.ceil(imageCounts.length / (config.pairsPerBatch / 2)));
      for (let s = 0; s < n; s++) {
        const pairs = sampleBalancedPairs(rng, imageCounts, config.pairsPerBatch);
        for (const p of pairs) {
          if (!p.same && hardOf.length > 0 && rng.next() < config.hardNegativeShare * 2) {
            const anchor = 2 * p.a.identity + rng.int(2);
            p.a = poolRefs[anchor];
            p.b = poolRefs[hardOf[anchor]];
          }
        }
        steps.push({ refs: [...pairs.map((p) => p.a), ...pairs.map((p) => p.b)], same: pairs.map((p) => p.same) });
      }
    } else {
      const P = Math.min(config.identitiesPerBatch, imageCounts.length);
      const sample = () =>
        config.groupsPerBatch > 0
          ? sampleGroupedPkEpoch(rng, imageCounts, groupOf, P, config.imagesPerIdentity, config.groupsPerBatch)
          : samplePkEpoch(rng, imageCounts, P, config.imagesPerIdentity, neighbours, config.hardNegativeShare);
      let batches = sample();
      const n = stepsFor(batches.length);
      while (batches.length < n) batches = batches.concat(sample());
      steps.push(...batches.slice(0, n));
    }

    let lossSum = 0;
    for (let s = 0; s < steps.length; s++) {
      if (opts.signal?.aborted) throw new AppError('aborted', `training aborted in epoch ${epoch + 1}, step ${s + 1}; resume from the last checkpoint`);
      const step = steps[s];
      const x = batchTensor(step.refs);
      const value = runStep(() => {
        const e = model.apply(x, { training: true }) as Tensor; // [n, dim]
        if (config.loss === 'contrastive') {
          const half = step.same!.length;
          return contrastiveLoss(tf, e.slice([0, 0], [half, -1]), e.slice([half, 0], [half, -1]), step.same!, config.margin);
        }
        if (config.loss === 'prototypical') return prototypicalLoss(tf, e, step.identities!, config.temperature);
        if (config.loss === 'triplet-semi-hard') return tripletSemiHardLoss(tf, e, step.identities!, config.margin);
        return tripletBatchHardLoss(tf, e, step.identities!, config.softMargin ? 'soft' : config.margin);
      });
      x.dispose();
      lossSum += value;
      images += step.refs.length;
      const elapsed = (Date.now() - started) / 1000;
      const done = (epoch - startEpoch) * steps.length + s + 1;
      const total = (config.epochs - startEpoch) * steps.length;
      const isLast = s === steps.length - 1;
      const valAccuracy = isLast ? await validate() : undefined;
      if (isLast) lossHistory.push({ epoch: epoch + 1, loss: lossSum / steps.length, valAccuracy });
      opts.onProgress?.({
        epoch: epoch + 1,
        epochs: config.epochs,
        step: s + 1,
        stepsPerEpoch: steps.length,
        loss: value,
        pairsPerSecond: images / 2 / Math.max(elapsed, 1e-3),
        etaSeconds: (elapsed / done) * (total - done),
        valAccuracy,
      });
      // Steps compute synchronously: yield so a caller's progress writes (the dashboard's job row) go out.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (opts.onCheckpoint) {
      const optState = await optimizer.getWeights();
      const weightsNow = model.getWeights();
      await opts.onCheckpoint({
        epoch: epoch + 1,
        rngState: rng.getState(),
        lossHistory: [...lossHistory],
        trainingSeconds: priorSeconds + (Date.now() - started) / 1000,
        imagesSeen: priorImages + images,
        weights: await encodeNamedTensors(tf, weightsNow.map((tensor, i) => ({ name: model.weights[i].name, tensor }))),
        optimizer: await encodeNamedTensors(tf, optState),
      });
    }
    if (opts.shouldStop?.()) break;
  }
  const sessionSeconds = (Date.now() - started) / 1000;
  optimizer.dispose();

  const { metrics, calibration, distances } = await evaluateTower(tf, model, tower, validation, config);
  return {
    model,
    tower,
    lossHistory,
    metrics,
    calibration,
    distances,
    pairsPerSecond: (priorImages + images) / 2 / Math.max(priorSeconds + sessionSeconds, 1e-3),
    trainingSeconds: priorSeconds + sessionSeconds,
  };
}

/** Final metrics and calibration of a tower on held-out identities (what a model folder records). */
export async function evaluateTower(
  tf: Tf,
  model: LayersModel,
  tower: TowerSpec,
  validation: Dataset,
  config: Pick<TrainConfig, 'seed' | 'calibrationImpostorPairs'>,
): Promise<Pick<TrainResult, 'metrics' | 'calibration' | 'distances'>> {
  const emb = await embedDataset(tf, model, tower, validation);
  const groups = validation.identities.map((id) => id.group);
  const metrics: Record<string, number> = {};
  for (const ways of [5, 20]) {
    if (largestGroup(groups) >= ways) {
      metrics[`oneShot${ways}WayWithinGroup`] = oneShotAccuracy(emb, groups, { ways, shots: 1, trials: 1000, withinGroup: true }, createRng(config.seed + 104729));
    }
  }
  const rng = createRng(config.seed + 15485863);
  const pairs = pairDistances(emb, { max: config.calibrationImpostorPairs, uniform: () => rng.next() });
  const distances = { genuine: Float32Array.from(pairs.genuine), impostor: Float32Array.from(pairs.impostor) };
  const calibration = calibrate(distances.genuine, distances.impostor);
  metrics.auc = calibration.auc;
  metrics.eer = calibration.eer;
  return { metrics, calibration, distances };
}

function largestGroup(groups: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const g of groups) counts.set(g, (counts.get(g) ?? 0) + 1);
  return Math.max(0, ...counts.values());
}

