/**
 * Benchmark 3, training: pairs/s (2 tower passes per pair) of the default object architecture, batch
 * and loss on this process's backend; bench/torch_reference.py runs the same in PyTorch (CPU).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { initTf, type BackendName } from '@/lib/embedder/backend';
import { buildTower } from '@/lib/embedder/tower';
import { prototypicalLoss } from '@/lib/training/loss';
import { PRESETS, resolveTrainConfig } from '@/lib/training/config';
import { msSince, ROOT } from './common';

/** One backend's measurement. */
export interface TrainRow {
  backend: string;
  pairsPerSecond: number;
  imagesPerSecond: number;
  batch: number;
  steps: number;
  /** Forward + backward GFLOP/s (about 3x the forward FLOPs), against the machine's peak. */
  gflops: number;
}

/** Forward multiply-adds x2 of the conv tower on one 28x28x1 image (the dense layer is negligible). */
export function towerForwardFlops(filters: readonly number[], side = 28, channels = 1): number {
  let flops = 0;
  let s = side;
  let c = channels;
  for (const f of filters) {
    flops += 2 * s * s * 9 * c * f;
    s = Math.floor(s / 2);
    c = f;
  }
  return flops;
}

const config = () => resolveTrainConfig('default', { ...PRESETS.default });

/** Times `steps` training steps on `backend` with random inputs (throughput does not depend on pixels). */
export async function benchTraining(backend: BackendName, steps: number): Promise<TrainRow> {
  const { tf } = await initTf(backend, { onednn: true }); // as `npm run train` starts it for image towers
  const cfg = config();
  const P = cfg.identitiesPerBatch;
  const K = cfg.imagesPerIdentity;
  const model = buildTower(tf, { type: 'conv', inputSizePx: cfg.inputSizePx, channels: 1, filters: cfg.filters, embeddingDim: cfg.embeddingDim, batchNorm: cfg.batchNorm }, 1);
  const optimizer = tf.train.adam(cfg.learningRate);
  const ids = Array.from({ length: P * K }, (_, i) => Math.floor(i / K));
  const x = tf.randomNormal([P * K, cfg.inputSizePx, cfg.inputSizePx, 1]);
  const step = () => {
    const cost = optimizer.minimize(() => prototypicalLoss(tf, model.apply(x, { training: true }) as ReturnType<typeof tf.tensor2d>, ids, cfg.temperature), true);
    cost!.dataSync();
    cost!.dispose();
  };
  for (let i = 0; i < 2; i++) step();
  const t = performance.now();
  for (let i = 0; i < steps; i++) step();
  const seconds = msSince(t) / 1000;
  x.dispose();
  model.dispose();
  optimizer.dispose();
  const images = steps * P * K;
  return { backend, pairsPerSecond: images / 2 / seconds, imagesPerSecond: images / seconds, batch: P * K, steps, gflops: (3 * towerForwardFlops(cfg.filters, cfg.inputSizePx) * images) / seconds / 1e9 };
}

/** The PyTorch reference with the same architecture, batch and loss, or null when python3-torch is missing. */
export function benchTorch(steps: number): (TrainRow & { torch: string; threads: number }) | null {
  const cfg = config();
  try {
    const out = execFileSync('/usr/bin/python3', [path.join(ROOT, 'bench/torch_reference.py'), `P=${cfg.identitiesPerBatch}`, `K=${cfg.imagesPerIdentity}`, `steps=${steps}`, `bn=${cfg.batchNorm ? 1 : 0}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { pairsPerSecond: number; imagesPerSecond: number; batch: number; steps: number; torch: string; threads: number };
    return { backend: `pytorch ${r.torch} (${r.threads} threads)`, ...r, gflops: (3 * towerForwardFlops(cfg.filters, cfg.inputSizePx) * r.imagesPerSecond) / 1e9 };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    if (/No module named 'torch'|ENOENT/.test(`${e.stderr ?? ''}${e.message}`)) return null;
    throw err;
  }
}
