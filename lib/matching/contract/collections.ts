/** The contract of collections: what creating and updating one takes and what the API shows of it. */
import { z } from 'zod';
import { idSchema, isoTimeSchema, nameSchema, pageOf } from './common';

/**
 * The served `settings.ef` when a collection sets none, chosen for recall@10 >= 0.99 with the index's
 * m and efConstruction (lib/index HNSW_DEFAULTS; measured in bench/README.md's index section, issue 20).
 */
export const DEFAULT_EF = 100;
/** Largest `settings.ef`: a search's cost grows with ef, and far below this recall@10 is already 1. */
export const MAX_EF = 4096;

/** Face detection of a face collection: 'auto' (default), 'always', 'never' (images are already aligned faces). */
export const detectSettingSchema = z.enum(['auto', 'always', 'never']);
/**
 * HNSW candidate list size of a collection's searches: larger finds more of the true nearest, slower.
 * The default is DEFAULT_EF.
 */
export const efSettingSchema = z
  .number()
  .int()
  .min(1)
  .max(MAX_EF)
  .describe(`HNSW candidate list size per search (default ${DEFAULT_EF}; raised to k when k is larger): larger finds more of the exact nearest images, slower.`);
/** Per-collection settings. */
export const collectionSettingsSchema = z.object({ detect: detectSettingSchema.optional(), ef: efSettingSchema.optional() }).strict();
/** Target open-set false accept rate: in (0, 1). */
export const targetFarSchema = z.number().gt(0).lt(1).describe('Target open-set false accept rate (default 0.01).');
/** A collection's model kind. */
export const collectionKindSchema = z.enum(['face', 'object']);
/**
 * The image domain of an object collection (issue 19): grey `drawings` (the Omniglot-trained
 * model) or real `photos` (the photo backbone and its head). New object collections default to
 * photos; face collections have none.
 */
export const collectionDomainSchema = z.enum(['drawings', 'photos']);

/**
 * The threshold searches decide with. `source` 'override': an admin's raw distance pinned to this
 * model version; 'gallery': the collection's own calibration at the target FAR (issue 7), taken where
 * it is stricter than the model's and its trials show the model's too loose; 'model':
 * the model's calibration curve read at the open-set FAR over the gallery's images (issue 18).
 * `distance` is null when the collection's model is not loaded; `identities` counts the live
 * identities (with at least one image) and `images` the enrolled images a stranger is compared with.
 * `trials` and `predictedFar` say how sure it is: the impostor trials it was read from (the model
 * curve's impostor pairs, or the gallery's impostor trials; 0 for an override) and the open-set FAR
 * predicted at it, with a 95% interval when measured on the gallery's own trials.
 */
export const collectionThresholdSchema = z
  .object({
    distance: z.number().nullable().describe('Euclidean distance between L2-normalised embeddings; a search matches at or under it.'),
    source: z
      .enum(['override', 'gallery', 'model'])
      .describe("override: an admin's distance pinned to this model version; gallery: the collection's own calibration at the target FAR, taken where it is stricter than the model's and its impostor trials show the model's too loose (over the target with their whole 95% interval); model: the model's calibration curve at the open-set FAR over the gallery's images."),
    identities: z.number().int().min(0),
    images: z.number().int().min(0).describe('Enrolled images a stranger is compared with.'),
    comparisons: z
      .number()
      .positive()
      .nullable()
      .describe(
        "Comparisons the open-set conversion counted: the images at their measured worth from the model's open-set table (an identity's K images count as m <= K; m >= 1 when identities are scored by their nearest image, and may be under 1 when scored by their centroid, whose impostor tail is thinner than one image's), or every image when the model ships no table; null for an override.",
      ),
    trials: z.number().int().min(0).describe('Impostor trials behind the threshold: pairs of the model curve, or the gallery\'s own trials; 0 for an override.'),
    predictedFar: z
      .object({ value: z.number().nullable(), lo: z.number().nullable(), hi: z.number().nullable() })
      .strict()
      .describe('Open-set FAR predicted at the threshold (the target for the model curve; measured with its 95% interval on the gallery; null for an override).'),
  })
  .strict();

/** A collection as the API returns it. */
export const collectionSchema = z
  .object({
    id: idSchema,
    name: z.string(),
    kind: collectionKindSchema,
    domain: collectionDomainSchema.nullable().describe('Object collections: drawings or photos, the image domain of their model (its default model is that domain\'s); null for face collections.'),
    modelVersion: z.string(),
    previousModelVersion: z.string().nullable().describe('The version served before the last promote or rollback: the target of a rollback.'),
    targetFar: z.number(),
    /** Raw distance override (null: none, or pinned to another model version and so ignored). */
    thresholdOverride: z.number().nullable(),
    threshold: collectionThresholdSchema.describe('The distance searches decide with, where it came from, and the identity count it was computed for.'),
    settings: collectionSettingsSchema,
    identityCount: z.number().int().min(0),
    imageCount: z.number().int().min(0),
    createdAt: isoTimeSchema,
    updatedAt: isoTimeSchema,
  })
  .strict();
/** A page of collections. */
export const collectionPageSchema = pageOf(collectionSchema);

/** Fields of a new collection. */
export const createCollectionSchema = z
  .object({
    name: nameSchema,
    kind: collectionKindSchema,
    domain: collectionDomainSchema.optional().describe('Object collections only: drawings or photos (default photos).'),
    targetFar: targetFarSchema.optional(),
    settings: collectionSettingsSchema.optional(),
  })
  .strict();

/** Fields `updateCollection` may change. */
export const collectionPatchSchema = z
  .object({
    name: nameSchema.optional(),
    targetFar: targetFarSchema.optional(),
    thresholdOverride: z.number().min(0).nullable().optional().describe('Raw distance threshold for the current model version; null clears it.'),
    settings: collectionSettingsSchema.optional(),
  })
  .strict();

/** The image domain of an object collection. */
export type CollectionDomain = z.infer<typeof collectionDomainSchema>;
/** Face detection setting. */
export type DetectSetting = z.infer<typeof detectSettingSchema>;
/** Per-collection settings. */
export type CollectionSettings = z.infer<typeof collectionSettingsSchema>;
/** The threshold searches decide with, and where it came from. */
export type CollectionThreshold = z.infer<typeof collectionThresholdSchema>;
/** A collection as the API returns it. */
export type CollectionDto = z.infer<typeof collectionSchema>;
/** Fields of a new collection. */
export type CreateCollectionInput = z.input<typeof createCollectionSchema>;
/** Fields `updateCollection` may change. */
export type CollectionPatch = z.input<typeof collectionPatchSchema>;
