/**
 * Index manifest: the facts an index snapshot depends on, saved beside the index file as
 * `<indexPath>.manifest.json` and checked on load so an index built for another model or
 * dimension is never searched.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConflictError, InputError } from '@/lib/errors';

/** zod schema of the index manifest (unknown keys rejected). */
export const IndexManifestSchema = z.strictObject({
  format: z.literal(1),
  kind: z.enum(['hnsw', 'exact']),
  space: z.enum(['l2', 'cosine']),
  dim: z.int().positive(),
  m: z.int().positive(),
  efConstruction: z.int().positive(),
  ef: z.int().positive(),
  modelVersion: z.string().nullable(),
  /** Last enrolment sequence number the snapshot includes (for catch-up after load). */
  lastSequence: z.int().nonnegative(),
  /** Labels marked deleted (hnswlib keeps them in the file but offers no way to list them). */
  deletedLabels: z.array(z.int().nonnegative()),
  /** Live vectors at save time. */
  count: z.int().nonnegative(),
});

/** The index manifest. */
export type IndexManifest = z.infer<typeof IndexManifestSchema>;

/** Expected values checked on load; absent fields are not checked. */
export type IndexExpectation = Partial<Pick<IndexManifest, 'kind' | 'space' | 'dim' | 'modelVersion'>>;

/** The saved index does not fit what the caller expects (another model, dim or space): rebuild it. */
export class IndexManifestMismatchError extends ConflictError {
  constructor(
    readonly field: string,
    readonly expected: unknown,
    readonly got: unknown,
    indexPath: string,
  ) {
    super(
      'index_manifest_mismatch',
      `index ${indexPath}: expected ${field} ${JSON.stringify(expected)}, got ${JSON.stringify(got)}; rebuild the index for the current model`,
      { field, expected, got },
    );
  }
}

/** Path of the manifest saved beside an index file. */
export function manifestPathFor(indexPath: string): string {
  return `${indexPath}.manifest.json`;
}

/** Writes the manifest beside the index (temp file, then rename). */
export async function writeIndexManifest(indexPath: string, manifest: IndexManifest): Promise<void> {
  const target = manifestPathFor(indexPath);
  const tmp = `${target}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(IndexManifestSchema.parse(manifest), null, 2)}\n`);
  await rename(tmp, target);
}

/** Reads, validates and checks the manifest beside an index file against `expect`. */
export async function readIndexManifest(indexPath: string, expect: IndexExpectation = {}): Promise<IndexManifest> {
  let text: string;
  try {
    text = await readFile(manifestPathFor(indexPath), 'utf8');
  } catch {
    throw new InputError('index_manifest_missing', `expected an index manifest at ${manifestPathFor(indexPath)}, found none; rebuild the index`);
  }
  const parsed = IndexManifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new InputError('index_manifest_invalid', `index manifest ${manifestPathFor(indexPath)} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  for (const [field, expected] of Object.entries(expect)) {
    if (expected === undefined) continue;
    const got = parsed.data[field as keyof IndexManifest];
    if (got !== expected) throw new IndexManifestMismatchError(field, expected, got, indexPath);
  }
  return parsed.data;
}
