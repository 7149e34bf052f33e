/**
 * Benchmark 5, scale: one collection's index growing to `maxSize` examples (real embeddings grown
 * with noise, inserted directly), search latency p50/p99 (k = 10, the service's ef) and memory at
 * each checkpoint; and the time of a full re-embed of `reembed` images with the default object model
 * (decode + preprocess + embed, batch 64), what promoting a retrained model costs per 10k images.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readOmniglotEntries } from '@/lib/datasets/omniglot';
import { loadModel } from '@/lib/embedder/weights';
import { AnnIndex } from '@/lib/index/ann';
import { decodeImage, preprocessImage } from '@/lib/imaging';
import { log, msSince, percentile, ROOT, rssMiB } from './common';
import { defaultModelDir, mixtureVectors, row } from './vectors';

/** One checkpoint of the growing index. */
export interface ScaleRow {
  examples: number;
  searchP50Ms: number;
  searchP99Ms: number;
  rssMiB: number;
  growSeconds: number;
}

/** Grows one index through `checkpoints` (ascending) with the mixture set of bench/vectors.ts. */
export function benchGrowth(groups: readonly (readonly Float32Array[])[], checkpoints: readonly number[], queries: number): ScaleRow[] {
  const data = mixtureVectors(groups, checkpoints[checkpoints.length - 1], 1);
  const qs = mixtureVectors(groups, queries, 9, false);
  const index = AnnIndex.create({ space: 'l2', dim: data.dim, maxElements: 1024 });
  const rows: ScaleRow[] = [];
  const t0 = performance.now();
  let added = 0;
  for (const target of checkpoints) {
    for (; added < target; added++) {
      if (index.size >= index.capacity) index.resize(index.capacity * 2); // as the service grows it
      index.add(added, row(data, added));
    }
    const growSeconds = msSince(t0) / 1000;
    const ms = Array.from({ length: qs.count }, (_, qi) => {
      const t = performance.now();
      index.search(row(qs, qi), 10);
      return msSince(t);
    });
    rows.push({ examples: target, searchP50Ms: percentile(ms, 50), searchP99Ms: percentile(ms, 99), rssMiB: rssMiB(), growSeconds });
    log(`scale: ${target} examples after ${growSeconds.toFixed(1)} s, search p50 ${percentile(ms, 50).toFixed(3)} ms`);
  }
  return rows;
}

/** Seconds to re-embed `count` Omniglot images with the default object model (TF.js already initialised). */
export async function benchReembed(count: number): Promise<{ images: number; seconds: number; imagesPerSecond: number }> {
  const model = await loadModel(await defaultModelDir('object'));
  if (model.manifest.input.type !== 'image') throw new Error('the object model takes images');
  const spec = model.manifest.input.preprocess;
  const all = readOmniglotEntries(new Uint8Array(readFileSync(path.join(ROOT, '../shared/data/omniglot-background/images_background.zip'))));
  const pngs = all.slice(0, count).map((e) => e.bytes);
  const t = performance.now();
  for (let i = 0; i < pngs.length; i += 64) {
    const inputs = await Promise.all(pngs.slice(i, i + 64).map(async (b) => preprocessImage(await decodeImage(b), spec)));
    await model.embed(inputs);
  }
  const seconds = msSince(t) / 1000;
  model.dispose();
  return { images: pngs.length, seconds, imagesPerSecond: pngs.length / seconds };
}
