/**
 * A model's score-normalisation cohort (issue 18): embeddings of identities the model was trained
 * or calibrated on, NEVER of an evaluation set, shipped in the model folder as `cohort.f32` (row-major
 * little-endian float32, count x dim) beside `cohort.json` (dim, count, identities, source, the
 * sha256 of the .f32). The manifest's `cohort` field names `cohort.json` with its own sha256, so a
 * changed or swapped file is refused when the model loads.
 */
import path from 'node:path';
import { z } from 'zod';
import { InputError } from '@/lib/errors';
import type { Cohort } from '@/lib/calibration/cohort';
import { readManifest, sha256Hex, type FileRef, type ModelManifest } from './manifest';
import { readPinned, writePinned } from './pinned-files';

/** File names inside the model folder. */
export const COHORT_FILES = { meta: 'cohort.json', vectors: 'cohort.f32' } as const;

const cohortMetaSchema = z.object({
  format: z.literal(1),
  modelVersion: z.string(),
  dim: z.number().int().positive(),
  count: z.number().int().positive(),
  /** The .f32 file, relative to the model folder. */
  file: z.string().regex(/^[A-Za-z0-9._-]+$/),
  /** sha256 hex of the .f32 file. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Where the embeddings came from (data set, split rule, pipeline). */
  source: z.string(),
  /** Cohort identities, sorted: evaluations must leave these out. */
  identities: z.array(z.string()),
  /** Index into `identities` of each row. */
  rows: z.array(z.number().int().nonnegative()),
});

/** `cohort.json`. */
export type CohortMeta = z.infer<typeof cohortMetaSchema>;

const PINNED = { what: 'cohort', rebuild: 'npm run evaluate -- make-cohort' } as const;

/** Loads the cohort the manifest points at (null when it names none), checking both sha256s and the shape. */
export async function readCohort(modelDir: string, manifest: Pick<ModelManifest, 'cohort' | 'embeddingDim' | 'version'>): Promise<{ meta: CohortMeta; cohort: Cohort } | null> {
  if (!manifest.cohort) return null;
  const metaFile = path.join(modelDir, manifest.cohort.file);
  const parsed = cohortMetaSchema.safeParse(JSON.parse(new TextDecoder().decode(await readPinned(metaFile, manifest.cohort.sha256, PINNED))));
  if (!parsed.success) throw new InputError('invalid_cohort', `${metaFile}: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
  const meta = parsed.data;
  if (meta.dim !== manifest.embeddingDim || meta.rows.length !== meta.count || meta.rows.some((r) => r >= meta.identities.length)) {
    throw new InputError('invalid_cohort', `${metaFile}: expected dim ${manifest.embeddingDim} and ${meta.count} rows naming listed identities, got dim ${meta.dim}, ${meta.rows.length} rows`);
  }
  const bytes = await readPinned(path.join(modelDir, meta.file), meta.sha256, PINNED);
  if (bytes.byteLength !== meta.count * meta.dim * 4) {
    throw new InputError('invalid_cohort', `${meta.file}: expected ${meta.count} x ${meta.dim} float32 (${meta.count * meta.dim * 4} bytes), got ${bytes.byteLength} bytes`);
  }
  // Copied into an aligned buffer: the file's bytes may start at any offset. [count, dim]
  const data = new Float32Array(bytes.slice().buffer);
  const cohort = meta.rows.map((r, i) => ({ identity: meta.identities[r], vector: data.subarray(i * meta.dim, (i + 1) * meta.dim) }));
  return { meta, cohort };
}

/**
 * Writes `cohort.f32` and `cohort.json` into `modelDir` (temp files, then rename) and points the
 * model's `manifest.json` at them (its `cohort` field); returns the pointer.
 */
export async function writeCohort(modelDir: string, cohort: Cohort, source: string): Promise<{ ref: FileRef; meta: CohortMeta }> {
  const manifest = await readManifest(modelDir);
  if (cohort.length === 0) throw new InputError('invalid_cohort', 'a cohort needs at least one embedding');
  if (cohort.some((c) => c.vector.length !== manifest.embeddingDim)) throw new InputError('invalid_cohort', `cohort embeddings must have the model's dim ${manifest.embeddingDim}`);
  const dim = cohort[0].vector.length;
  const identities = [...new Set(cohort.map((c) => c.identity))].sort();
  const slot = new Map(identities.map((id, i) => [id, i]));
  // [count, dim], little-endian float32 (every platform Node runs on).
  const data = new Float32Array(cohort.length * dim);
  cohort.forEach((c, i) => data.set(c.vector, i * dim));
  const vectors = new Uint8Array(data.buffer);
  const meta: CohortMeta = {
    format: 1, modelVersion: manifest.version, dim, count: cohort.length, file: COHORT_FILES.vectors, sha256: sha256Hex(vectors),
    source, identities, rows: cohort.map((c) => slot.get(c.identity)!),
  };
  const json = new TextEncoder().encode(`${JSON.stringify(meta)}\n`);
  const ref = await writePinned(modelDir, 'cohort', [[COHORT_FILES.meta, json], [COHORT_FILES.vectors, vectors]]);
  return { ref, meta };
}
