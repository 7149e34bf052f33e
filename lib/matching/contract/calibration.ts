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

/**
 * The domain guard (issue 19): whether the collection's model separates the gallery's identities at
 * all, from the gallery's own pairs; `advice` says what to do when it does not.
 */
export const separationSchema = z
  .object({
    verdict: z.enum(['separates', 'cannot_separate', 'too_few_identities']),
    pairwiseAuc: z.number().nullable().describe('P(a same-identity pair is closer than a different-identity pair), ties half; null without pairs of both kinds.'),
    aucFloor: z.number().describe('cannot_separate under this AUC.'),
    genuinePairs: z.number().int().min(0),
    impostorPairs: z.number().int().min(0),
    sampled: z.boolean().describe('Pairs sampled (seeded) down to a cap.'),
    modelDistance: z.number().describe('The model\'s own distance at FAR 1e-2 (its calibration).'),
    collapsedShare: z.number().nullable().describe('Share of different-identity pairs at or under modelDistance, where the model promises 0.01.'),
    collapseCeiling: z.number().describe('cannot_separate over this share.'),
    minIdentities: z.number().int().min(1).describe('Identities with 2+ images needed to judge.'),
    advice: z.string().nullable().describe('What to do when the model cannot separate the identities: the other domain\'s model, or retraining; null otherwise.'),
  })
  .strict();

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
    separation: separationSchema,
  })
  .strict();

/** A rate with its trials and bootstrap 95% interval. */
export type RateEstimate = z.infer<typeof rateEstimateSchema>;
/** A target FAR and whether the gallery can measure it. */
export type TargetFarPoint = z.infer<typeof targetFarPointSchema>;
/** The domain guard's verdict on a gallery. */
export type SeparationReport = z.infer<typeof separationSchema>;
/** What `GET /api/collections/{id}/calibration` answers. */
export type CalibrationReport = z.infer<typeof calibrationReportSchema>;
