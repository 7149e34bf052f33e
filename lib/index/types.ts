/** Shared surface of the vector indexes (`AnnIndex` over hnswlib, `ExactIndex` by brute force). */

/** hnswlib space the vectors live in: `l2` (squared Euclidean inside hnswlib) or `cosine` (1 - cos). */
export type IndexSpace = 'l2' | 'cosine';

/** One search hit: the label given to `add` and the EUCLIDEAN distance to the query (smaller = closer). */
export interface IndexHit {
  /** Label the vector was added under. */
  label: number;
  /**
   * Euclidean distance. `l2`: sqrt of hnswlib's squared distance; `cosine`: the Euclidean distance
   * between the unit-normalised vectors, sqrt(2 * (1 - cos)). Comparable with calibrated thresholds.
   */
  distance: number;
}

/**
 * HNSW parameters when not given. m and efConstruction: chosen for recall@10 >= 0.99 at ef 100,
 * the ef collections are served at by default (their `settings.ef`), on bench/vectors.ts's mixture
 * set (issue 20): measured 1 at 100k vectors (and 0.9996 at ef 32); the 1M row is bench/README.md's
 * index section. seed: hnswlib's own default.
 */
export const HNSW_DEFAULTS = { m: 16, efConstruction: 200, ef: 100, seed: 100 } as const;

/** Options when creating an index. */
export interface IndexOptions {
  /** Space of the vectors (embeddings are L2-normalised, so both give the same order). */
  space: IndexSpace;
  /** Vector length. */
  dim: number;
  /** Initial capacity (grows automatically when full, or with `resize`). */
  maxElements: number;
  /** HNSW: max outgoing links per node (default 16). */
  m?: number;
  /** HNSW: candidate list size while building (default 200). */
  efConstruction?: number;
  /** HNSW: candidate list size while searching (default 100; raised to k when k is larger). */
  ef?: number;
  /** Model version whose embeddings the index holds (checked on load). */
  modelVersion?: string;
  /** HNSW level-assignment seed (default 100, hnswlib's own default). */
  seed?: number;
}

/** Operations both indexes offer. */
export interface VectorIndex {
  /** Number of live (not deleted) vectors. */
  readonly size: number;
  /** Current capacity. */
  readonly capacity: number;
  /** Adds (or replaces) the vector under `label`. */
  add(label: number, v: Float32Array): void;
  /** Hides `label` from searches. */
  markDelete(label: number): void;
  /** Whether `label` is present and not deleted. */
  has(label: number): boolean;
  /** The k nearest live vectors, ascending by Euclidean distance. */
  search(v: Float32Array, k: number): IndexHit[];
  /** Grows capacity to n (never below the current element count). */
  resize(n: number): void;
}
