/**
 * Labelled-vector data sets (`--dataset=vectors:<file>`), e.g. 128-d face descriptors on which a
 * small head is trained. File format (JSON, UTF-8):
 *   { "format": "labelled-vectors", "dim": 128,
 *     "identities": [ { "identity": "alice", "group": "optional", "vectors": [[0.1, ...], ...] }, ... ] }
 * Every vector has exactly `dim` finite numbers; every identity at least one vector.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InputError } from '@/lib/errors';
import type { Dataset } from '@/lib/datasets/types';

const fileSchema = z.strictObject({
  format: z.literal('labelled-vectors'),
  dim: z.number().int().positive(),
  identities: z
    .array(z.strictObject({ identity: z.string().min(1), group: z.string().optional(), vectors: z.array(z.array(z.number())).min(1) }))
    .min(2),
});

/** Parses a labelled-vectors JSON value into a vector `Dataset` named `name`. */
export function parseVectorDataset(value: unknown, name: string): Dataset {
  const parsed = fileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError('invalid_dataset', `${name}: ${issue.path.join('.') || '(root)'}: ${issue.message} (expected the labelled-vectors format)`);
  }
  const { dim, identities } = parsed.data;
  return {
    name,
    spec: { type: 'vector', dim },
    identities: identities.map((id) => ({
      identity: id.identity,
      group: id.group ?? '',
      images: id.vectors.map((v, k) => {
        if (v.length !== dim) throw new InputError('embedding_dim_mismatch', `${name}: ${id.identity} vector ${k} has ${v.length} values, expected ${dim}`);
        return Float32Array.from(v);
      }),
    })),
  };
}

/** Reads a labelled-vectors JSON file. */
export async function loadVectorDataset(file: string): Promise<Dataset> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError('invalid_dataset', `cannot read vector data set ${file}: ${(e as Error).message}`);
  }
  return parseVectorDataset(JSON.parse(text), `vectors:${file}`);
}
