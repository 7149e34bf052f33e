/**
 * Benchmark 1, the index (issue 20 item 6): build time and memory, query latency p50/p99 and recall@10
 * against exact ground truth, at several sizes and ef values, on the mixture set of bench/vectors.ts;
 * with brute force's own latency beside it and the 10th-to-11th exact distance gap that shows the
 * set has no near-ties. Ground truth and built indexes are cached under runs/cache by a hash of the
 * set, so the 1M index is built once.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { AnnIndex } from '@/lib/index/ann';
import { initTf } from '@/lib/embedder/backend';
import { ExactIndex } from '@/lib/index/exact';
import { log, msSince, percentile, ROOT, rssMiB } from './common';
import { row, type VectorSet } from './vectors';

/** One size x ef measurement. */
export interface IndexRow {
  kind: string;
  dim: number;
  n: number;
  /** Real embeddings the mixture was drawn from (they are the set's first rows). */
  baseVectors: number;
  /** HNSW build parameters. */
  m: number;
  efConstruction: number;
  buildSeconds: number;
  buildMemoryMiB: number;
  ef: number;
  p50Ms: number;
  p99Ms: number;
  /** Found labels among the exact 10, over queries x 10. */
  recallAt10: number;
  /** Queries whose recall is below 1: recall's worst case is per query. */
  queriesBelowFull: number;
  queries: number;
  /** Mean over queries of (sum of the 10 found distances) / (sum of the 10 exact ones), Euclidean. */
  distanceRatio: number;
  /** Median over queries of (d11 - d10) / d10, exact Euclidean: how far the first wrong answer is. */
  gapMedian: number;
  /** Queries with (d11 - d10) / d10 < 1e-3 (ann-benchmarks' recall epsilon): near-ties. */
  nearTies: number;
  bruteP50Ms: number;
  speedupVsBrute: number;
}

const K = 10;
/** Near-tie threshold on the relative 10th-to-11th gap (ann-benchmarks counts a hit within 1e-3). */
const TIE_EPS = 1e-3;
const CACHE_DIR = path.join(ROOT, 'runs/cache/index-bench');

/** The exact K + 1 nearest (labels and Euclidean distances, ascending) of each query. */
interface Truth {
  labels: Int32Array;
  distances: Float64Array;
}

/** sha256 of a set's bytes (24 hex), the cache key of its truth and indexes. */
function setKey(set: VectorSet, queries: VectorSet): string {
  return createHash('sha256').update(new Uint8Array(set.data.buffer, set.data.byteOffset, set.data.byteLength)).update(new Uint8Array(queries.data.buffer, queries.data.byteOffset, queries.data.byteLength)).digest('hex').slice(0, 24);
}

/** Candidates kept per query from the float32 pass, re-ranked in doubles (see exactNeighbours). */
const CANDIDATES = 32;
/** Set rows per matrix product: [queries, BLOCK_ROWS] float32 scores at a time. */
const BLOCK_ROWS = 16_384;

/**
 * Exact K + 1 nearest by brute force. A float32 pass: per block of set rows, the score
 * 2 q.x - |x|^2 = |q|^2 - |q - x|^2 (larger is nearer; |q|^2 is constant per query) as one TF.js
 * matrix product, keeping each query's best CANDIDATES. Then those are re-ranked by |q - x| summed in
 * doubles. A true neighbour lost in float32 would need a rounding error (~1e-6 of |x|^2) larger than
 * the gap from the 11th to the 32nd neighbour. (At 100k it matched a pure-double scan label for label.)
 */
export async function exactNeighbours(set: VectorSet, queries: VectorSet): Promise<Truth> {
  const { tf } = await initTf('auto');
  const kk = K + 1;
  // Per query, its CANDIDATES best scores (descending) and their labels.
  const best = new Float32Array(queries.count * CANDIDATES).fill(-Infinity);
  const cand = new Int32Array(queries.count * CANDIDATES).fill(-1);
  const q = tf.tensor2d(queries.data, [queries.count, queries.dim]); // [nq, dim]
  for (let start = 0; start < set.count; start += BLOCK_ROWS) {
    const rows = Math.min(BLOCK_ROWS, set.count - start);
    const score = tf.tidy(() => {
      const x = tf.tensor2d(set.data.subarray(start * set.dim, (start + rows) * set.dim), [rows, set.dim]); // [rows, dim]
      return tf.sub(tf.mul(2, tf.matMul(q, x, false, true)), tf.sum(tf.square(x), 1)); // [nq, rows]
    });
    const sc = score.dataSync();
    score.dispose();
    for (let qi = 0; qi < queries.count; qi++) {
      const base = qi * CANDIDATES;
      for (let j = 0; j < rows; j++) {
        const v = sc[qi * rows + j];
        if (v <= best[base + CANDIDATES - 1]) continue;
        let p = CANDIDATES - 1;
        for (; p > 0 && best[base + p - 1] < v; p--) {
          best[base + p] = best[base + p - 1];
          cand[base + p] = cand[base + p - 1];
        }
        best[base + p] = v;
        cand[base + p] = start + j;
      }
    }
  }
  q.dispose();
  const labels = new Int32Array(queries.count * kk);
  const distances = new Float64Array(queries.count * kk);
  for (let qi = 0; qi < queries.count; qi++) {
    const qv = row(queries, qi);
    const ranked = Array.from(cand.subarray(qi * CANDIDATES, (qi + 1) * CANDIDATES))
      .map((label) => {
        const xv = row(set, label);
        let d = 0;
        for (let k = 0; k < set.dim; k++) d += (qv[k] - xv[k]) * (qv[k] - xv[k]);
        return { label, distance: Math.sqrt(d) };
      })
      .sort((a, b) => a.distance - b.distance || a.label - b.label)
      .slice(0, kk);
    ranked.forEach((h, j) => {
      labels[qi * kk + j] = h.label;
      distances[qi * kk + j] = h.distance;
    });
  }
  return { labels, distances };
}

/** The truth of `set` for `queries`, from runs/cache or computed (and cached). */
async function truthFor(key: string, set: VectorSet, queries: VectorSet): Promise<Truth> {
  const file = path.join(CACHE_DIR, `truth-${key}.bin`);
  const kk = K + 1;
  if (existsSync(file)) {
    const bytes = await readFile(file);
    const body = new Uint8Array(bytes.byteLength);
    body.set(bytes);
    return { labels: new Int32Array(body.buffer, 0, queries.count * kk), distances: new Float64Array(body.buffer, queries.count * kk * 4, queries.count * kk) };
  }
  const t0 = performance.now();
  const truth = await exactNeighbours(set, queries);
  log(`exact ${kk}-NN of ${queries.count} queries over ${set.count}: ${(msSince(t0) / 1000).toFixed(1)} s`);
  await mkdir(CACHE_DIR, { recursive: true });
  await writeFile(file, Buffer.concat([new Uint8Array(truth.labels.buffer), new Uint8Array(truth.distances.buffer)]));
  return truth;
}

/** An index built over a set, with what building it cost. */
export interface BuiltIndex {
  index: AnnIndex;
  buildSeconds: number;
  buildMemoryMiB: number;
}

/** HNSW build parameters. */
export interface HnswBuild {
  m: number;
  efConstruction: number;
}

/** Builds an index over `set` or loads the one cached for (key, params); the cost is the build's, kept beside it. */
async function indexFor(key: string, set: VectorSet, params: HnswBuild): Promise<BuiltIndex> {
  const file = path.join(CACHE_DIR, `${key}-m${params.m}-efc${params.efConstruction}.hnsw`);
  const costFile = `${file}.cost.json`;
  if (existsSync(file) && existsSync(costFile)) {
    const cost = JSON.parse(await readFile(costFile, 'utf8')) as Omit<BuiltIndex, 'index'>;
    log(`index: loaded ${path.basename(file)} (built in ${cost.buildSeconds.toFixed(0)} s)`);
    return { index: await AnnIndex.load(file), ...cost };
  }
  const before = rssMiB();
  const t0 = performance.now();
  const index = AnnIndex.create({ space: 'l2', dim: set.dim, maxElements: set.count, ...params });
  for (let i = 0; i < set.count; i++) {
    index.add(i, row(set, i));
    if (i > 0 && i % 100_000 === 0) log(`${set.count}: added ${i} (${(msSince(t0) / 1000).toFixed(0)} s)`);
  }
  const cost = { buildSeconds: msSince(t0) / 1000, buildMemoryMiB: rssMiB() - before, loadAverage: loadavg() };
  if (set.count >= 100_000) {
    await mkdir(CACHE_DIR, { recursive: true });
    await index.save(file);
    await writeFile(costFile, JSON.stringify(cost));
  }
  return { index, ...cost };
}

/** Brute force's per-query latency: lib/index's ExactIndex (the service's small-N fallback) on the first `count` queries. */
function bruteLatency(set: VectorSet, queries: VectorSet, truth: Truth, count: number): number[] {
  const exact = ExactIndex.create({ space: 'l2', dim: set.dim, maxElements: set.count });
  for (let i = 0; i < set.count; i++) exact.add(i, row(set, i));
  return Array.from({ length: Math.min(count, queries.count) }, (_, qi) => {
    const t = performance.now();
    const hits = exact.search(row(queries, qi), K);
    const ms = msSince(t);
    // Cross-check of the blocked brute force: the oracle's 10th distance is the truth's (to float error).
    const want = truth.distances[qi * (K + 1) + K - 1];
    if (Math.abs(hits[K - 1].distance - want) > 1e-5) throw new Error(`exact truth disagrees with ExactIndex at query ${qi}: ${hits[K - 1].distance} vs ${want}`);
    return ms;
  });
}

/** Measures one set: builds (or loads) the index once, then queries it at every ef. */
export async function benchIndexSize(kind: string, baseVectors: number, set: VectorSet, queries: VectorSet, efs: readonly number[], params: HnswBuild): Promise<IndexRow[]> {
  const key = setKey(set, queries);
  // The index first: at 1M its build is the long part, cached before anything else can fail.
  const { index, buildSeconds, buildMemoryMiB } = await indexFor(key, set, params);
  const truth = await truthFor(key, set, queries);
  const kk = K + 1;
  const gaps = Array.from({ length: queries.count }, (_, qi) => (truth.distances[qi * kk + K] - truth.distances[qi * kk + K - 1]) / truth.distances[qi * kk + K - 1]);
  const gapMedian = percentile(gaps, 50);
  const nearTies = gaps.filter((g) => g < TIE_EPS).length;
  const brute = bruteLatency(set, queries, truth, 30);
  const bruteP50Ms = percentile(brute, 50);
  const rows = efs.map((ef): IndexRow => {
    index.setEf(ef);
    const ms: number[] = [];
    let hits = 0;
    let ratio = 0;
    let belowFull = 0;
    for (let qi = 0; qi < queries.count; qi++) {
      const t = performance.now();
      const found = index.search(row(queries, qi), K);
      ms.push(msSince(t));
      const want = new Set(truth.labels.subarray(qi * kk, qi * kk + K));
      const h = found.filter((x) => want.has(x.label)).length;
      hits += h;
      if (h < K) belowFull++;
      let exactSum = 0;
      for (let j = 0; j < K; j++) exactSum += truth.distances[qi * kk + j];
      ratio += found.reduce((s, x) => s + x.distance, 0) / exactSum;
    }
    const p50Ms = percentile(ms, 50);
    return {
      kind, dim: set.dim, n: set.count, baseVectors, ...params, buildSeconds, buildMemoryMiB, ef, p50Ms, p99Ms: percentile(ms, 99),
      recallAt10: hits / (queries.count * K), queriesBelowFull: belowFull, queries: queries.count, distanceRatio: ratio / queries.count,
      gapMedian, nearTies, bruteP50Ms, speedupVsBrute: bruteP50Ms / p50Ms,
    };
  });
  return rows;
}
