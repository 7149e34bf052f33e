/**
 * Benchmark 1, the index: build time and memory, query latency p50/p99 and recall@10 against exact
 * brute force, at several sizes and ef values, with brute force's own latency beside it.
 */
import { AnnIndex } from '@/lib/index/ann';
import { ExactIndex } from '@/lib/index/exact';
import { log, msSince, percentile, rssMiB } from './common';
import { growVectors } from './vectors';

/** One size x ef measurement. */
export interface IndexRow {
  kind: string;
  dim: number;
  n: number;
  /** Real embeddings the `n` vectors were grown from (the rest are noisy copies). */
  baseVectors: number;
  buildSeconds: number;
  buildMemoryMiB: number;
  ef: number;
  p50Ms: number;
  p99Ms: number;
  recallAt10: number;
  /**
   * Mean over queries of (sum of the 10 found distances) / (sum of the 10 exact ones), Euclidean: how
   * much farther the misses are. Grown vectors are noisy copies (at 1M, ~260 per Omniglot embedding and
   * 2,500 per ORL face), so the exact 10th and the next copies lie within noise of each other.
   */
  distanceRatio: number;
  bruteP50Ms: number;
  speedupVsBrute: number;
}

const K = 10;

/** Exact top-k labels by brute force (lib/index's ExactIndex, the test oracle); also returns per-query times. */
function bruteForce(data: readonly Float32Array[], queries: readonly Float32Array[]): { top: number[][]; sumDistance: number[]; ms: number[] } {
  const exact = ExactIndex.create({ space: 'l2', dim: data[0].length, maxElements: data.length });
  data.forEach((v, i) => exact.add(i, v));
  const top: number[][] = [];
  const sumDistance: number[] = [];
  const ms: number[] = [];
  for (const q of queries) {
    const t = performance.now();
    const hits = exact.search(q, K);
    ms.push(msSince(t));
    top.push(hits.map((h) => h.label));
    sumDistance.push(sumEuclidean(hits));
  }
  return { top, sumDistance, ms };
}

/** Sum of the hits' distances (lib/index hits carry Euclidean distances). */
function sumEuclidean(hits: readonly { distance: number }[]): number {
  return hits.reduce((s, h) => s + h.distance, 0);
}

/** An index already built over `data` (the scale benchmark's grown one), with what building it cost. */
export interface BuiltIndex {
  index: AnnIndex;
  data: Float32Array[];
  buildSeconds: number;
  buildMemoryMiB: number;
}

/** Builds an index over `n` vectors grown from `base`. */
function buildIndex(kind: string, base: readonly Float32Array[], n: number): BuiltIndex {
  const data = growVectors(base, n, 0.03, 1);
  const before = rssMiB();
  const t0 = performance.now();
  const index = AnnIndex.create({ space: 'l2', dim: base[0].length, maxElements: n });
  for (let i = 0; i < n; i++) {
    index.add(i, data[i]);
    if (i > 0 && i % 100_000 === 0) log(`${kind} ${n}: added ${i} (${(msSince(t0) / 1000).toFixed(0)} s)`);
  }
  return { index, data, buildSeconds: msSince(t0) / 1000, buildMemoryMiB: rssMiB() - before };
}

/** Measures one size: builds the index once (or takes `built`), then queries it at every ef. */
export function benchIndexSize(kind: string, base: readonly Float32Array[], n: number, efs: readonly number[], queryCount: number, built?: BuiltIndex): IndexRow[] {
  const { index, data, buildSeconds, buildMemoryMiB } = built ?? buildIndex(kind, base, n);
  const queries = growVectors(base, base.length + queryCount, 0.03, 7).slice(base.length);
  const dim = base[0].length;
  const truth = bruteForce(data, queries);
  const bruteP50Ms = percentile(truth.ms, 50);
  const rows = efs.map((ef) => {
    index.setEf(ef);
    const ms: number[] = [];
    let hits = 0;
    let ratio = 0;
    queries.forEach((q, qi) => {
      const t = performance.now();
      const found = index.search(q, K);
      ms.push(msSince(t));
      const want = new Set(truth.top[qi]);
      hits += found.filter((h) => want.has(h.label)).length;
      ratio += sumEuclidean(found) / truth.sumDistance[qi];
    });
    const p50Ms = percentile(ms, 50);
    return {
      kind, dim, n, baseVectors: base.length, buildSeconds, buildMemoryMiB, ef, p50Ms, p99Ms: percentile(ms, 99),
      recallAt10: hits / (queries.length * K), distanceRatio: ratio / queries.length, bruteP50Ms, speedupVsBrute: bruteP50Ms / p50Ms,
    };
  });
  index.setEf(100);
  return rows;
}
