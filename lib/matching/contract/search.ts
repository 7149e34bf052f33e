/**
 * The contract of search and verify: the query bounds and the answers. A field added to a
 * decision or a verify answer is added here, once: the use case's types, the routes' validation
 * and the OpenAPI document all follow.
 */
import { z } from 'zod';
import { boxSchema, distanceSchema, idSchema } from './common';

/** Largest k of a search. */
export const MAX_K = 100;
/** k of a search that names none. */
export const DEFAULT_K = 10;
/** k of a search: nearest identities returned per query face. */
export const kSchema = z.number().int().min(1).max(MAX_K);

/** How an identity's distance is measured, in every answer below. */
const IDENTITY_DISTANCE =
  "to the identity's centroid (the L2-normalised mean of its images' embeddings) under a model whose open-set table was measured so (every shipped model), else to its nearest image";

/** One identity among the query's k nearest images, with its distance (IDENTITY_DISTANCE). */
export const neighbourSchema = z.object({ identityId: idSchema, name: z.string(), distance: distanceSchema.describe(`Euclidean distance between L2-normalised embeddings, ${IDENTITY_DISTANCE}.`) }).strict();

/** The decision about one query face: the matched identity, or unknown (`match: false`, ids null) with the best distance still given. */
export const decisionSchema = z
  .object({
    match: z.boolean(),
    identityId: z.string().nullable(),
    name: z.string().nullable(),
    distance: distanceSchema.nullable().describe('Best distance to any identity, also when unknown; null for an empty collection.'),
    threshold: z.number(),
  })
  .strict();

/** One searched face (or the whole image). */
export const searchResultSchema = z
  .object({ box: boxSchema.optional(), decision: decisionSchema, neighbours: z.array(neighbourSchema).describe("The identities of the query's k nearest images, each with its distance, ascending.") })
  .strict();

/** Answer of `search`: one result per query face (one for object collections). */
export const searchResponseSchema = z.object({ modelVersion: z.string(), results: z.array(searchResultSchema) }).strict();

/**
 * Answer of the verify calls: `same` is distance <= threshold; `distance` is between the two
 * embeddings (for an identity: IDENTITY_DISTANCE, as searches score it); `threshold` is the
 * one-to-one threshold (the override, or the open-set threshold of one identity: its images at
 * their measured worth).
 */
export const verifyResponseSchema = z
  .object({
    modelVersion: z.string(),
    same: z.boolean(),
    distance: distanceSchema.describe(`Between the two embeddings; against an identity, ${IDENTITY_DISTANCE}.`),
    threshold: z.number(),
  })
  .strict();

/** One searched face (or the whole image). */
export type SearchResult = z.infer<typeof searchResultSchema>;
/** Answer of `search`. */
export type SearchResponse = z.infer<typeof searchResponseSchema>;
/** Answer of the verify calls. */
export type VerifyResponse = z.infer<typeof verifyResponseSchema>;
