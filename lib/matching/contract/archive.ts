/** The contract of an archive import (`POST /api/collections/{id}/import`). */
import { z } from 'zod';
import { rejectReasonSchema } from './images';

/** What an import did: `layout` `folders` (folder per identity) or `export` (collection.json); duplicates are images already enrolled for the same identity (skipped); a `conflict` file's bytes belong to another identity. */
export const importResultSchema = z
  .object({
    layout: z.enum(['folders', 'export']),
    identities: z.object({ created: z.number().int().min(0), existing: z.number().int().min(0) }).strict(),
    enrolled: z.number().int().min(0),
    duplicates: z.number().int().min(0),
    rejected: z.array(z.object({ file: z.string(), reason: z.union([rejectReasonSchema, z.literal('conflict')]), detail: z.string() }).strict()),
  })
  .strict();

/** What an import did. */
export type ImportResult = z.infer<typeof importResultSchema>;
