/** Pieces every data transfer object of the API shares: ids, ISO times, distances, face boxes, pages, names and metadata. */
import { z } from 'zod';
import { MAX_METADATA_BYTES, MAX_METADATA_DEPTH, MAX_NAME_LENGTH, metadataProblems, nameProblem } from '@/lib/matching/names';

/** A stored row's id. */
export const idSchema = z.string().min(1);
/** A time as the API shows it: ISO 8601, UTC. */
export const isoTimeSchema = z.iso.datetime();
/** A Euclidean distance between L2-normalised embeddings, in [0, 2]. */
export const distanceSchema = z.number().min(0).describe('Euclidean distance between L2-normalised embeddings (smaller is closer).');
/** A face box in the original image's pixels. */
export const boxSchema = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() }).strict().describe('Face box in original image pixels.');

/** Largest page size of a list. */
export const MAX_PAGE_SIZE = 100;
/** Page size of a list that names none. */
export const DEFAULT_PAGE_SIZE = 50;

/** One page of a list of `item`: `{items, nextCursor}` (lib/matching/page.ts cuts it). */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last.') }).strict();
}

/** The name of a collection, identity or key: trimmed, 1..MAX_NAME_LENGTH characters, no control or bidi characters (names.ts). */
export const nameSchema = z
  .string()
  .trim()
  .min(1)
  .max(MAX_NAME_LENGTH)
  .superRefine((s, ctx) => {
    const problem = nameProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** Identity metadata: a JSON object within the size and depth bounds of names.ts. */
export const metadataSchema = z
  .record(z.string(), z.unknown())
  .superRefine((m, ctx) => {
    for (const message of metadataProblems(m)) ctx.addIssue({ code: 'custom', message });
  })
  .describe(`A JSON object of your own: at most ${MAX_METADATA_BYTES} bytes as JSON and ${MAX_METADATA_DEPTH} levels deep.`);
