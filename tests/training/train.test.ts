import { beforeAll, describe, expect, it } from 'vitest';
import { loadOmniglot } from '@/lib/datasets/omniglot';
import { OMNIGLOT_ZIP } from '../helpers/data';
import type { Dataset } from '@/lib/datasets/types';
import { initTf, type Tf } from '@/lib/embedder/backend';
import { buildTower, mergeTowers, type ConvSpec } from '@/lib/embedder/tower';
import { resolveTrainConfig, type TrainConfig } from '@/lib/training/config';
import { oneShotAccuracy } from '@/lib/training/oneshot';
import { createRng } from '@/lib/calibration/rng';
import { embedDataset, towerSpecFor, trainEmbedding, type TrainCheckpoint } from '@/lib/training/train';

let tf: Tf;
beforeAll(async () => {
  ({ tf } = await initTf('wasm'));
});

/** Random 28x28 "drawings": each identity is a fixed pattern plus per-image noise. */
function syntheticDataset(identities: number, images: number, seed: number): Dataset {
  const rng = createRng(seed);
  return {
    name: 'synthetic',
    spec: { inputSizePx: 28, channels: 1, invert: true, fit: 'fill' },
    identities: Array.from({ length: identities }, (_, i) => {
      const base = Float32Array.from({ length: 784 }, () => (rng.next() < 0.1 ? 1 : 0));
      return {
        identity: `id${i}`,
        group: 'g',
        images: Array.from({ length: images }, () => base.map((v) => (rng.next() < 0.05 ? 1 - v : v))),
      };
    }),
  };
}

const TINY: Partial<TrainConfig> = {
  filters: [8, 8], embeddingDim: 8, identitiesPerBatch: 4, imagesPerIdentity: 2, epochs: 2, stepsPerEpoch: 2,
  validationWays: 3, validationTrials: 20, validationWithinGroup: false, calibrationImpostorPairs: 1000, backend: 'wasm',
  hardNegativeShare: 0.25, rotations90: true,
};

describe('trainEmbedding', () => {
  it.each(['triplet-batch-hard', 'triplet-semi-hard', 'contrastive', 'prototypical'] as const)(
    '%s: numTensors stays flat across steps and returns to the start after dispose',
    async (loss) => {
      const config = resolveTrainConfig('quick', { ...TINY, loss, pairsPerBatch: 8 });
      const before = tf.memory().numTensors;
      const counts: number[] = [];
      const result = await trainEmbedding({
        tf, config, train: syntheticDataset(6, 4, 1), validation: syntheticDataset(5, 3, 2),
        onProgress: () => counts.push(tf.memory().numTensors),
      });
      expect(counts).toHaveLength(4);
      expect(new Set(counts).size).toBe(1);
      expect(result.lossHistory.map((h) => h.epoch)).toEqual([1, 2]);
      for (const h of result.lossHistory) expect(Number.isFinite(h.loss)).toBe(true);
      expect(result.calibration.genuinePairs).toBe(5 * 3);
      result.model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  // Exact up to float rounding: Adam rebuilds beta^t with pow() on restore instead of t multiplications.
  it('resumes: 1 epoch + checkpoint + 1 resumed epoch = 2 straight epochs', async () => {
    const config = resolveTrainConfig('quick', { ...TINY, loss: 'triplet-batch-hard' });
    const train = syntheticDataset(6, 4, 3);
    const validation = syntheticDataset(5, 3, 4);
    const straight = await trainEmbedding({ tf, config, train, validation });
    const checkpoints: TrainCheckpoint[] = [];
    const first = await trainEmbedding({ tf, config: { ...config, epochs: 1 }, train, validation, onCheckpoint: async (c) => void checkpoints.push(c) });
    first.model.dispose();
    expect(checkpoints.map((c) => c.epoch)).toEqual([1]);
    const resumed = await trainEmbedding({ tf, config, train, validation, resume: checkpoints[0] });
    expect(resumed.lossHistory.map((h) => h.epoch)).toEqual([1, 2]);
    resumed.lossHistory.forEach((h, i) => {
      expect(h.loss).toBeCloseTo(straight.lossHistory[i].loss, 6);
      expect(h.valAccuracy).toBe(straight.lossHistory[i].valAccuracy);
    });
    const a = straight.model.getWeights().flatMap((w) => Array.from(w.dataSync()));
    const b = resumed.model.getWeights().flatMap((w) => Array.from(w.dataSync()));
    const maxDiff = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    expect(maxDiff).toBeLessThan(1e-5);
    expect(maxDiff).toBeGreaterThanOrEqual(0);
    straight.model.dispose();
    resumed.model.dispose();
  });

  it('stops between steps when aborted', async () => {
    const config = resolveTrainConfig('quick', { ...TINY });
    const controller = new AbortController();
    controller.abort();
    await expect(
      trainEmbedding({ tf, config, train: syntheticDataset(6, 4, 1), validation: syntheticDataset(5, 3, 2), signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'aborted' });
  });

  it('fine-tunes from an init tower, keeping its architecture (an ensemble here) over the config\'s', async () => {
    const config = resolveTrainConfig('quick', { ...TINY, loss: 'prototypical', epochs: 1 });
    const spec = towerSpecFor(config, syntheticDataset(1, 1, 0)) as ConvSpec;
    const members = [5, 6].map((seed) => ({ model: buildTower(tf, spec, seed), spec }));
    const { model, spec: tower } = mergeTowers(tf, members);
    const init = { model, tower };
    members.forEach((m) => m.model.dispose());
    const result = await trainEmbedding({ tf, config, train: syntheticDataset(6, 4, 1), validation: syntheticDataset(5, 3, 2), init });
    expect(result.tower).toEqual(init.tower);
    const before = init.model.getWeights().map((w) => Array.from(w.dataSync()));
    const after = result.model.getWeights().map((w) => Array.from(w.dataSync()));
    expect(after.map((w) => w.length)).toEqual(before.map((w) => w.length));
    expect(after).not.toEqual(before);
    init.model.dispose();
    result.model.dispose();
  });

  // Issue 3: a short seeded run over 40 Omniglot characters raises 5-way 1-shot accuracy on 20
  // unseen characters by at least 10 points over the same untrained network. "Short" is bounded by
  // the work done (4 epochs x 6 steps of 20 identities x 4 images), not by the clock; how fast those
  // steps run on each backend is `npm run bench`'s training section (pairs/s), not a test.
  it('raises 5-way 1-shot accuracy on 20 unseen Omniglot characters by >= 10 points in 24 steps of 80 images', async () => {
    const spec = { inputSizePx: 28, channels: 1 as const, invert: true, fit: 'fill' as const };
    const zipPath = OMNIGLOT_ZIP;
    const train = await loadOmniglot({ zipPath, spec, alphabets: ['Latin', 'Cyrillic'], maxIdentities: 40, cacheDir: 'runs/cache' });
    const unseen = await loadOmniglot({ zipPath, spec, alphabets: ['Greek'], maxIdentities: 20, cacheDir: 'runs/cache' });
    expect(train.identities).toHaveLength(40);
    expect(unseen.identities).toHaveLength(20);
    const config = resolveTrainConfig('quick', {
      seed: 1, maxTrainIdentities: 0, loss: 'prototypical', filters: [32, 32, 32, 32], embeddingDim: 32,
      identitiesPerBatch: 20, imagesPerIdentity: 4, epochs: 4, stepsPerEpoch: 6, learningRate: 3e-3, lrDecay: 1,
      hardNegativeShare: 0, validationWays: 5, validationTrials: 200, validationWithinGroup: false,
      calibrationImpostorPairs: 1000, backend: 'wasm',
    });
    const tower = towerSpecFor(config, train);
    const accuracy = (emb: Float32Array[][]) =>
      oneShotAccuracy(emb, unseen.identities.map(() => ''), { ways: 5, shots: 1, trials: 1000, withinGroup: false }, createRng(99));
    const untrained = buildTower(tf, tower, config.seed);
    const before = accuracy(await embedDataset(tf, untrained, tower, unseen));
    untrained.dispose();
    let steps = 0;
    const result = await trainEmbedding({ tf, config, train, validation: unseen, onProgress: () => void steps++ });
    const after = accuracy(await embedDataset(tf, result.model, tower, unseen));
    result.model.dispose();
    expect(steps).toBe(24);
    expect(after - before).toBeGreaterThanOrEqual(0.1);
  }, 120_000);
});
