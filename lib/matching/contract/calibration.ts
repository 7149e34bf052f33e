/** The contract of a collection's calibration report (`GET /api/collections/{id}/calibration`). */
import { z } from 'zod';
import { distanceSchema, idSchema, isoTimeSchema } from './common';
import { collectionThresholdSchema } from './collections';

/** A rate with its trials and bootstrap 95% interval; with no event seen, `upperBound` is the rule-of-three bound 3/n (the rate is below it, not measured). */
export const rateEstimateSchema = z
  .object({ value: z.number().min(0).max(1), n: z.number().int().min(0), lo: z.number(), hi: z.number(), upperBound: z.number().nullable() })
  .strict()
  .describe('A rate with its trials and bootstrap 95% interval; upperBound (3/n) when no event was seen.');

/** A target FAR: whether the gallery can measure it (ceil(3 / far) impostor trials) and the largest distance with gallery FAR <= far (null when not measurable). */
export const targetFarPointSchema = z.object({ far: z.number(), minImpostorTrials: z.number().int(), measurable: z.boolean(), threshold: z.number().nullable() }).strict();

/** What `getCalibrationReport` answers: the gallery trials, the threshold in force, FAR and FRR there, the measurable targets and the ROC. */
export const calibrationReportSchema = z
  .object({
    collectionId: idSchema,
    modelVersion: z.string(),
    /** Gallery sequence the trials were computed at. */
    sequence: z.number().int().min(0),
    computedAt: isoTimeSchema,
    /** Identities with 2+ examples; the gallery calibration needs MIN_IDENTITIES_FOR_GALLERY_THRESHOLD. */
    eligibleIdentities: z.number().int().min(0),
    minIdentities: z.number().int().min(1),
    targetFar: z.number(),
    threshold: collectionThresholdSchema,
    trials: z.object({ genuine: z.number().int().min(0), impostor: z.number().int().min(0), sampled: z.boolean() }).strict(),
    /** Genuine and impostor scores (Euclidean distances), ascending. */
    genuine: z.array(distanceSchema),
    impostor: z.array(distanceSchema),
    auc: z.number().nullable(),
    eer: z.number().nullable(),
    /** FAR and FRR of the gallery trials at the threshold in force (null without trials or threshold). */
    atThreshold: z.object({ far: rateEstimateSchema, frr: rateEstimateSchema }).strict().nullable(),
    targets: z.array(targetFarPointSchema),
    /** ROC of the trials (null without both kinds): tar and far per distance. */
    roc: z.object({ distances: z.array(z.number()), far: z.array(z.number()), tar: z.array(z.number()) }).strict().nullable(),
  })
  .strict();

/** A rate with its trials and bootstrap 95% interval. */
export type RateEstimate = z.infer<typeof rateEstimateSchema>;
/** A target FAR and whether the gallery can measure it. */
export type TargetFarPoint = z.infer<typeof targetFarPointSchema>;
/** What `GET /api/collections/{id}/calibration` answers. */
export type CalibrationReport = z.infer<typeof calibrationReportSchema>;
