/**
 * A model's open-set table (lib/calibration/open-set-table.ts), shipped in the model folder as
 * `openset-table.json` and pinned by sha256 from the manifest's `openSetTable` field, so a changed
 * file is refused when the model loads. It is measured on the identities the model was calibrated
 * on, never on an evaluation set (`identities` lists them; evaluations leave them out).
 */
import path from 'node:path';
import { z } from 'zod';
import type { OpenSetTable } from '@/lib/calibration/open-set-table';
import { InputError } from '@/lib/errors';
import { readManifest, type ModelManifest, type FileRef } from './manifest';
import { readPinned, writePinned } from './pinned-files';

/** File name inside the model folder. */
export const OPEN_SET_TABLE_FILE = 'openset-table.json';

const PINNED = { what: 'open_set_table', rebuild: 'npm run evaluate -- make-openset-table' } as const;

const tableFileSchema = z.object({
  format: z.literal(1),
  modelVersion: z.string(),
  /** Where the embeddings came from (data set, identities, pipeline). */
  source: z.string(),
  /** Calibration identities the table was measured on, sorted. */
  identities: z.array(z.string()),
  table: z.object({
    /** Tables written before scoring by centroid scored the nearest image. */
    aggregate: z.enum(['nearest', 'centroid']).default('nearest'),
    fars: z.array(z.number().positive().lt(1)).min(1),
    repeats: z.number().int().positive(),
    seed: z.number().int(),
    shapes: z
      .array(z.object({ identities: z.number().int().positive(), shots: z.number().int().positive(), strangerQueries: z.number().int().nonnegative(), thresholds: z.array(z.number().nullable()) }))
      .min(1),
    /** The identity-bootstrap bound (issue 19); tables measured before it have none. */
    bound: z
      .object({
        confidence: z.number().gt(0).lt(1),
        tolerance: z.number().min(1),
        resamples: z.number().int().positive(),
        seed: z.number().int(),
        identities: z.number().int().min(2),
        fars: z.array(z.number().positive()).min(1),
        distances: z.array(z.number().nonnegative()).min(1),
      })
      .optional(),
  }),
});

/** `openset-table.json`. */
export type OpenSetTableFile = z.infer<typeof tableFileSchema>;

/** Loads the table the manifest points at (null when it names none), checking its sha256 and shape. */
export async function readOpenSetTable(modelDir: string, manifest: Pick<ModelManifest, 'openSetTable' | 'version'>): Promise<OpenSetTableFile | null> {
  if (!manifest.openSetTable) return null;
  const file = path.join(modelDir, manifest.openSetTable.file);
  const parsed = tableFileSchema.safeParse(JSON.parse(new TextDecoder().decode(await readPinned(file, manifest.openSetTable.sha256, PINNED))));
  if (!parsed.success) throw new InputError('invalid_open_set_table', `${file}: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`);
  const { table } = parsed.data;
  if (table.shapes.some((s) => s.thresholds.length !== table.fars.length)) throw new InputError('invalid_open_set_table', `${file}: every shape needs one threshold per FAR (${table.fars.length})`);
  if (table.bound && table.bound.distances.length !== table.bound.fars.length) throw new InputError('invalid_open_set_table', `${file}: the bound needs one distance per FAR (${table.bound.fars.length})`);
  return parsed.data;
}

/** Writes `openset-table.json` into `modelDir` and points the manifest at it. */
export async function writeOpenSetTable(modelDir: string, table: OpenSetTable, source: string, identities: readonly string[]): Promise<{ ref: FileRef; file: OpenSetTableFile }> {
  const manifest = await readManifest(modelDir);
  const file: OpenSetTableFile = { format: 1, modelVersion: manifest.version, source, identities: [...identities].sort(), table };
  const ref = await writePinned(modelDir, 'openSetTable', [[OPEN_SET_TABLE_FILE, new TextEncoder().encode(`${JSON.stringify(file)}\n`)]]);
  return { ref, file };
}
