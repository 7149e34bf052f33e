/**
 * Approximate nearest-neighbour index over hnswlib-node (HNSW). The ONLY importer of `hnswlib-node`.
 * hnswlib's `l2` space returns SQUARED Euclidean distances and `cosine` returns 1 - cos; `search`
 * converts both to the Euclidean distance that calibrated thresholds are expressed in.
 */
import { rename } from 'node:fs/promises';
import hnswlib, { type HierarchicalNSW } from 'hnswlib-node';
import { AppError, InputError, NotFoundError } from '@/lib/errors';
import { readIndexManifest, writeIndexManifest, type IndexExpectation, type IndexManifest } from './manifest';
import { HNSW_DEFAULTS, type IndexHit, type IndexOptions, type IndexSpace, type VectorIndex } from './types';

/** Euclidean distance from an hnswlib distance in `space` (see `IndexHit.distance`). */
export function euclideanFromHnsw(space: IndexSpace, raw: number): number {
  // l2: raw = sum (x_i - y_i)^2. cosine: raw = 1 - cos and |x - y|^2 = 2 - 2cos for unit vectors.
  return Math.sqrt(Math.max(0, space === 'l2' ? raw : 2 * raw));
}

/** Throws unless `v` is a finite vector of length `dim`. */
export function checkVector(v: Float32Array, dim: number): void {
  if (v.length !== dim) {
    throw new InputError('embedding_dim_mismatch', `expected ${dim}-d embedding, got ${v.length}; rebuild the index for the current model`);
  }
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw new InputError('invalid_embedding', `embedding has a non-finite value at ${i}: ${v[i]}`);
  }
}

/** HNSW index with Euclidean distances, deletion, growth and save/load with a checked manifest. */
export class AnnIndex implements VectorIndex {
  private readonly deleted = new Set<number>();
  /** Last enrolment sequence included (saved in the manifest). */
  lastSequence = 0;

  private constructor(
    private readonly hnsw: HierarchicalNSW,
    private readonly opts: Required<Omit<IndexOptions, 'modelVersion' | 'maxElements'>> & { modelVersion: string | null },
  ) {
    hnsw.setEf(opts.ef);
  }

  /** Creates an empty index. */
  static create(opts: IndexOptions): AnnIndex {
    if (!Number.isInteger(opts.dim) || opts.dim < 1) throw new InputError('invalid_index', `dim must be a positive integer, got ${opts.dim}`);
    const full = {
      space: opts.space,
      dim: opts.dim,
      m: opts.m ?? HNSW_DEFAULTS.m,
      efConstruction: opts.efConstruction ?? HNSW_DEFAULTS.efConstruction,
      ef: opts.ef ?? HNSW_DEFAULTS.ef,
      seed: opts.seed ?? HNSW_DEFAULTS.seed,
      modelVersion: opts.modelVersion ?? null,
    };
    const hnsw = new hnswlib.HierarchicalNSW(opts.space, opts.dim);
    hnsw.initIndex({ maxElements: Math.max(1, opts.maxElements), m: full.m, efConstruction: full.efConstruction, randomSeed: full.seed });
    return new AnnIndex(hnsw, full);
  }

  /** Loads an index saved with `save`, after checking its manifest against `expect`. */
  static async load(path: string, expect: IndexExpectation = {}): Promise<AnnIndex> {
    const manifest = await readIndexManifest(path, { ...expect, kind: 'hnsw' });
    const hnsw = new hnswlib.HierarchicalNSW(manifest.space, manifest.dim);
    await hnsw.readIndex(path);
    const index = new AnnIndex(hnsw, { ...manifest, seed: HNSW_DEFAULTS.seed });
    for (const label of manifest.deletedLabels) index.deleted.add(label);
    index.lastSequence = manifest.lastSequence;
    return index;
  }

  /** Vector length. */
  get dim(): number {
    return this.opts.dim;
  }

  /** Model version the vectors belong to (null when not set). */
  get modelVersion(): string | null {
    return this.opts.modelVersion;
  }

  get size(): number {
    return this.hnsw.getCurrentCount() - this.deleted.size;
  }

  get capacity(): number {
    return this.hnsw.getMaxElements();
  }

  /** Adds or replaces `label`; re-adding a deleted label revives it. Doubles capacity when full. */
  add(label: number, v: Float32Array): void {
    if (!Number.isInteger(label) || label < 0) throw new InputError('invalid_label', `label must be a non-negative integer, got ${label}`);
    checkVector(v, this.opts.dim);
    const exists = this.deleted.has(label) || this.hasLabel(label);
    if (!exists && this.hnsw.getCurrentCount() >= this.capacity) this.resize(Math.max(16, this.capacity * 2));
    this.hnsw.addPoint(Array.from(v), label);
    this.deleted.delete(label);
  }

  markDelete(label: number): void {
    if (this.deleted.has(label) || !this.hasLabel(label)) {
      throw new NotFoundError('index_label_not_found', `label ${label} is not in the index (or already deleted)`);
    }
    this.hnsw.markDelete(label);
    this.deleted.add(label);
  }

  has(label: number): boolean {
    return !this.deleted.has(label) && this.hasLabel(label);
  }

  /** Sets the search candidate list size (the recall/speed knob; k is the floor per search). */
  setEf(ef: number): void {
    if (!Number.isInteger(ef) || ef < 1) throw new InputError('invalid_index', `ef must be a positive integer, got ${ef}`);
    this.opts.ef = ef;
    this.hnsw.setEf(ef);
  }

  /** The k nearest; `ef` (a collection's setting) overrides the index's own for this search. */
  search(v: Float32Array, k: number, ef = this.opts.ef): IndexHit[] {
    checkVector(v, this.opts.dim);
    const n = Math.min(k, this.size);
    if (n <= 0) return [];
    this.hnsw.setEf(Math.max(ef, n));
    const { distances, neighbors } = this.hnsw.searchKnn(Array.from(v), n);
    return neighbors.map((label, i) => ({ label, distance: euclideanFromHnsw(this.opts.space, distances[i]) }));
  }

  resize(n: number): void {
    if (n < this.hnsw.getCurrentCount()) {
      throw new InputError('invalid_index', `cannot resize to ${n}: the index holds ${this.hnsw.getCurrentCount()} elements`);
    }
    if (n !== this.capacity) this.hnsw.resizeIndex(n);
  }

  /** The manifest `save` would write now. */
  manifest(): IndexManifest {
    return {
      format: 1,
      kind: 'hnsw',
      space: this.opts.space,
      dim: this.opts.dim,
      m: this.opts.m,
      efConstruction: this.opts.efConstruction,
      ef: this.opts.ef,
      modelVersion: this.opts.modelVersion,
      lastSequence: this.lastSequence,
      deletedLabels: [...this.deleted].sort((a, b) => a - b),
      count: this.size,
    };
  }

  /** Writes the index to `path` (temp file, then rename) and its manifest beside it. */
  async save(path: string): Promise<IndexManifest> {
    const tmp = `${path}.tmp-${process.pid}`;
    const ok = await this.hnsw.writeIndex(tmp);
    if (!ok) throw new AppError('index_write_failed', `hnswlib could not write ${tmp}`);
    await rename(tmp, path);
    const manifest = this.manifest();
    await writeIndexManifest(path, manifest);
    return manifest;
  }

  private hasLabel(label: number): boolean {
    try {
      this.hnsw.getPoint(label);
      return true;
    } catch {
      return false;
    }
  }
}
