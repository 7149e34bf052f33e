/** The contract of identities: what creating and updating one takes and what the API shows of it. */
import { z } from 'zod';
import { idSchema, isoTimeSchema, metadataSchema, nameSchema, pageOf } from './common';

/** The caller's own id of an identity, unique per collection. */
const externalIdSchema = z.string().min(1).max(200);

/** An identity as the API returns it. */
export const identitySchema = z
  .object({
    id: idSchema,
    collectionId: idSchema,
    name: z.string(),
    externalId: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    imageCount: z.number().int().min(0),
    createdAt: isoTimeSchema,
    updatedAt: isoTimeSchema,
  })
  .strict();
/** A page of identities. */
export const identityPageSchema = pageOf(identitySchema);

/** Fields of a new identity. */
export const createIdentitySchema = z.object({ name: nameSchema, externalId: externalIdSchema.optional(), metadata: metadataSchema.optional() }).strict();

/** Fields `updateIdentity` may change (null clears `externalId` or `metadata`). */
export const identityPatchSchema = z
  .object({ name: nameSchema.optional(), externalId: externalIdSchema.nullable().optional(), metadata: metadataSchema.nullable().optional() })
  .strict();

/** An identity as the API returns it. */
export type IdentityDto = z.infer<typeof identitySchema>;
/** Fields of a new identity. */
export type CreateIdentityInput = z.input<typeof createIdentitySchema>;
/** Fields `updateIdentity` may change. */
export type IdentityPatch = z.input<typeof identityPatchSchema>;
