/** The contract of the audit log as the API lists it. */
import { z } from 'zod';
import { idSchema, isoTimeSchema, pageOf } from './common';

/** An audit entry as the API returns it. */
export const auditEntrySchema = z
  .object({
    id: idSchema,
    createdAt: isoTimeSchema,
    actor: z.string(),
    action: z.string(),
    collectionId: z.string().nullable(),
    modelVersion: z.string().nullable(),
    threshold: z.number().nullable(),
    queryHash: z.string().nullable().describe('SHA-256 of the query image; the image itself is not stored.'),
    details: z.unknown().describe('Decision, neighbours with distances, or the admin operation.'),
  })
  .strict();
/** A page of audit entries. */
export const auditPageSchema = pageOf(auditEntrySchema);

/** An audit entry as the API returns it. */
export type AuditEntryDto = z.infer<typeof auditEntrySchema>;
