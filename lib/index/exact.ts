/**
 * Brute-force index with the same surface as `AnnIndex`: the test oracle for recall, and the
 * fallback for small galleries where an exact scan is as fast as HNSW.
 * File format: header (u32 dim, u32 count), then count x f64 labels, then count x dim f32 vectors.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { InputError, NotFoundError } from '@/lib/errors';
import { checkVector } from './ann';
import { readIndexManifest, writeIndexManifest, type IndexExpectation, type IndexManifest } from './manifest';
import type { IndexHit, IndexOptions, IndexSpace, VectorIndex } from './types';

/** Euclidean distance between a and b, or between their unit-normalised forms in `cosine` space. */
export function euclideanDistance(space: IndexSpace, a: Float32Array, b: Float32Array): number {
  if (space === 'l2') {
    let s = 0;
    for (let i = 0; i < a.length; i++) {
      const d = a[i] - b[i];
      s += d * d;
    }
    return Math.sqrt(s);
  }
  // cosine: |x/|x| - y/|y||^2 = 2 - 2cos  ->  sqrt(2 (1 - cos)), as AnnIndex reports it.
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  const cos = na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
  return Math.sqrt(Math.max(0, 2 * (1 - cos)));
}

/** Exact k-NN by scanning every live vector. */
export class ExactIndex implements VectorIndex {
  private readonly vectors = new Map<number, Float32Array>();
  private cap: number;
  /** Last enrolment sequence included (saved in the manifest). */
  lastSequence = 0;

  private constructor(private readonly opts: { space: IndexSpace; dim: number; modelVersion: string | null }, capacity: number) {
    this.cap = Math.max(1, capacity);
  }

  /** Creates an empty index (HNSW-only options are ignored). */
  static create(opts: IndexOptions): ExactIndex {
    if (!Number.isInteger(opts.dim) || opts.dim < 1) throw new InputError('invalid_index', `dim must be a positive integer, got ${opts.dim}`);
    return new ExactIndex({ space: opts.space, dim: opts.dim, modelVersion: opts.modelVersion ?? null }, opts.maxElements);
  }

  /** Loads an index saved with `save`, after checking its manifest against `expect`. */
  static async load(path: string, expect: IndexExpectation = {}): Promise<ExactIndex> {
    const manifest = await readIndexManifest(path, { ...expect, kind: 'exact' });
    const bytes = await readFile(path);
    const body = new Uint8Array(bytes.byteLength);
    body.set(bytes);
    const view = new DataView(body.buffer);
    const dim = view.getUint32(0, true);
    const count = view.getUint32(4, true);
    if (dim !== manifest.dim || body.byteLength !== 8 + count * 8 + count * dim * 4) {
      throw new InputError('index_file_invalid', `index file ${path} does not match its manifest (dim ${manifest.dim}); rebuild the index`);
    }
    const index = new ExactIndex({ space: manifest.space, dim, modelVersion: manifest.modelVersion }, count);
    const labels = new Float64Array(body.buffer, 8, count);
    const data = new Float32Array(body.buffer, 8 + count * 8, count * dim);
    for (let i = 0; i < count; i++) index.vectors.set(labels[i], data.slice(i * dim, (i + 1) * dim));
    index.lastSequence = manifest.lastSequence;
    return index;
  }

  get size(): number {
    return this.vectors.size;
  }

  get capacity(): number {
    return this.cap;
  }

  /** Adds or replaces `label`; grows capacity when full. */
  add(label: number, v: Float32Array): void {
    if (!Number.isInteger(label) || label < 0) throw new InputError('invalid_label', `label must be a non-negative integer, got ${label}`);
    checkVector(v, this.opts.dim);
    if (!this.vectors.has(label) && this.vectors.size >= this.cap) this.cap = Math.max(16, this.cap * 2);
    this.vectors.set(label, Float32Array.from(v));
  }

  markDelete(label: number): void {
    if (!this.vectors.delete(label)) throw new NotFoundError('index_label_not_found', `label ${label} is not in the index (or already deleted)`);
  }

  has(label: number): boolean {
    return this.vectors.has(label);
  }

  search(v: Float32Array, k: number): IndexHit[] {
    checkVector(v, this.opts.dim);
    // The k best so far, ascending by (distance, label): the same answer as sorting every hit,
    // without allocating or sorting n of them (brute force over 10^6 vectors in benchmarks).
    const best: IndexHit[] = [];
    const before = (a: IndexHit, b: IndexHit) => a.distance < b.distance || (a.distance === b.distance && a.label < b.label);
    if (k <= 0) return best;
    for (const [label, w] of this.vectors) {
      const hit = { label, distance: euclideanDistance(this.opts.space, v, w) };
      if (best.length === k && !before(hit, best[k - 1])) continue;
      let i = best.length < k ? best.length : k - 1;
      while (i > 0 && before(hit, best[i - 1])) {
        if (i < k) best[i] = best[i - 1];
        i--;
      }
      best[i] = hit;
    }
    return best;
  }

  resize(n: number): void {
    if (n < this.vectors.size) throw new InputError('invalid_index', `cannot resize to ${n}: the index holds ${this.vectors.size} elements`);
    this.cap = n;
  }

  /** The manifest `save` would write now. */
  manifest(): IndexManifest {
    return {
      format: 1, kind: 'exact', space: this.opts.space, dim: this.opts.dim, m: 1, efConstruction: 1, ef: 1,
      modelVersion: this.opts.modelVersion, lastSequence: this.lastSequence, deletedLabels: [], count: this.size,
    };
  }

  /** Writes the vectors to `path` (temp file, then rename) and the manifest beside it. */
  async save(path: string): Promise<IndexManifest> {
    const count = this.vectors.size;
    const dim = this.opts.dim;
    const buf = new ArrayBuffer(8 + count * 8 + count * dim * 4);
    const view = new DataView(buf);
    view.setUint32(0, dim, true);
    view.setUint32(4, count, true);
    const labels = new Float64Array(buf, 8, count);
    const data = new Float32Array(buf, 8 + count * 8, count * dim);
    let i = 0;
    for (const [label, v] of this.vectors) {
      labels[i] = label;
      data.set(v, i * dim);
      i++;
    }
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, new Uint8Array(buf));
    await rename(tmp, path);
    const manifest = this.manifest();
    await writeIndexManifest(path, manifest);
    return manifest;
  }
}
