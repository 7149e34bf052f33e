/**
 * `evaluate make-openset-table` (issue 18): measures a model's open-set table
 * (lib/calibration/open-set-table.ts) on the identities its curve was calibrated on (the
 * manifest's `data.heldOut`: names, or group prefixes such as an Omniglot alphabet) and ships it
 * in the model folder (lib/embedder/open-set-table.ts). Embeddings come from the evaluation
 * cache, so the table measures exactly what the service computes.
 */
import { BOUND_CONFIDENCE, BOUND_MAX_IDENTITIES, boundThreshold, modelOpenSetTable, openSetThreshold, pairwiseFarForOpenSet, type Aggregate, type TableIdentity } from '@/lib/calibration';
import { writeOpenSetTable } from '@/lib/embedder/open-set-table';
import { InputError } from '@/lib/errors';
import { embedFolder } from './embedding-cache';
import { reservedBy } from './openset-run';
import type { EmbeddingPipeline } from './pipeline';

/** Options of `makeOpenSetTable`. */
export interface MakeOpenSetTableOptions {
  /** Model folder the table is written into. */
  modelDir: string;
  /** Folder-per-identity root (folder or .zip) holding the calibration identities. */
  source: string;
  /** Seeded draws per gallery shape. */
  repeats: number;
  seed: number;
  /** How a gallery identity is scored (the service scores by centroid). */
  aggregate: Aggregate;
  /** The identity bound: `auto` under BOUND_MAX_IDENTITIES calibration identities, `always` regardless. */
  bound: 'auto' | 'always';
  cacheDir?: string;
}

/** Measures and writes the table; returns what it wrote. */
export async function makeOpenSetTable(pipeline: EmbeddingPipeline, opts: MakeOpenSetTableOptions, log: (msg: string) => void) {
  const calibrationIds = pipeline.manifest.data.heldOut;
  if (calibrationIds.length === 0) throw new InputError('invalid_model', `${pipeline.manifest.version} names no calibration identities (manifest data.heldOut)`);
  const { images } = await embedFolder(opts.source, pipeline, { cacheDir: opts.cacheDir, log });
  const byName = new Map<string, Float32Array[]>();
  for (const i of images) {
    if (!i.embedding || !reservedBy(i.identity, calibrationIds)) continue;
    byName.set(i.identity, [...(byName.get(i.identity) ?? []), i.embedding]);
  }
  const identities: TableIdentity[] = [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, vectors]) => ({ name, vectors }));
  if (identities.length === 0) throw new InputError('invalid_dataset', `no image of ${opts.source} belongs to the model's calibration identities (manifest data.heldOut)`);
  log(`make-openset-table: ${identities.length} calibration identities, ${identities.reduce((s, i) => s + i.vectors.length, 0)} images; ${opts.repeats} draws per shape…`);
  const t0 = Date.now();
  const table = modelOpenSetTable(identities, { repeats: opts.repeats, seed: opts.seed, aggregate: opts.aggregate, bound: opts.bound });
  log(`make-openset-table: ${table.shapes.length} shapes${table.bound ? ` and the ${BOUND_CONFIDENCE} identity bound` : ` (no identity bound: ${BOUND_MAX_IDENTITIES}+ identities)`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (table.bound) {
    const curve = pipeline.manifest.calibration.curve;
    for (const [far, n] of [[1e-2, 5], [1e-2, 16], [1e-2, 100], [1e-3, 5], [1e-3, 100]]) {
      const p = pairwiseFarForOpenSet(far, n);
      log(`  FAR ${far}, ${n} comparisons (pairwise ${p.toExponential(2)}): curve ${openSetThreshold(curve, far, n).toFixed(4)}, bound ${boundThreshold(table.bound, p).toFixed(4)}`);
    }
  }
  const source = `${opts.source}, the model's calibration identities (manifest data.heldOut), ${opts.repeats} draws per shape, seed ${opts.seed}, scored by ${opts.aggregate}`;
  const { ref, file } = await writeOpenSetTable(opts.modelDir, table, source, identities.map((i) => i.name));
  return { task: 'make-openset-table', model: file.modelVersion, identities: file.identities.length, shapes: table.shapes.length, sha256: ref.sha256, source };
}
