/** The contract of retraining, jobs and model versions: the retraining settings and their bounds, a job, and the model lists. */
import { z } from 'zod';
import { idSchema, isoTimeSchema } from './common';

/** Bounds and default of a numeric retraining setting. */
interface Bound {
  min: number;
  max: number;
  default: number;
}
/** Epochs of fine-tuning from the current model's weights. */
const EPOCHS: Bound = { min: 1, max: 200, default: 6 };
/** Steps (P x K batches) per epoch. */
const STEPS_PER_EPOCH: Bound = { min: 1, max: 1000, default: 20 };
/** Share of gallery identities held out of training to compare candidate and current. */
const EVALUATION_SHARE: Bound = { min: 0.1, max: 0.5, default: 0.3 };
/** Share of gallery identities held out to calibrate the candidate's thresholds. */
const CALIBRATION_SHARE: Bound = { min: 0.1, max: 0.4, default: 0.2 };
const range = (b: Bound) => `${b.min}..${b.max}, default ${b.default}`;

/** Settings of a retraining job as `startRetrain` checks them; every field has a safe default (a few minutes on wasm). */
export const retrainSettingsSchema = z.strictObject({
  epochs: z.number().int().min(EPOCHS.min).max(EPOCHS.max).default(EPOCHS.default),
  stepsPerEpoch: z.number().int().min(STEPS_PER_EPOCH.min).max(STEPS_PER_EPOCH.max).default(STEPS_PER_EPOCH.default),
  /** Adam learning rate (lower than from scratch: this fine-tunes). */
  learningRate: z.number().gt(0).max(0.01).default(5e-4),
  /** Stop training after the epoch that passes this many minutes (then calibrate and compare); at most MAX_RETRAIN_MINUTES. */
  maxMinutes: z.number().gt(0).default(10),
  /** Add the base training set of the model's kind when present (Omniglot background for drawings, grocery-store for photos). */
  includeBaseData: z.boolean().default(false),
  evaluationShare: z.number().min(EVALUATION_SHARE.min).max(EVALUATION_SHARE.max).default(EVALUATION_SHARE.default),
  calibrationShare: z.number().min(CALIBRATION_SHARE.min).max(CALIBRATION_SHARE.max).default(CALIBRATION_SHARE.default),
  /** Seed of the split, the sampling and the bootstrap. */
  seed: z.number().int().min(0).default(1),
});

/**
 * The retraining settings a request may send: the types only, every field optional. The ranges
 * are `startRetrain`'s to check (its `invalid_settings` names the setting), so they are stated
 * once, above, and only quoted here.
 */
export const retrainRequestSchema = z
  .object({
    epochs: z.number().int().optional().describe(`Epochs of fine-tuning from the current model (${range(EPOCHS)}).`),
    stepsPerEpoch: z.number().int().optional().describe(`P x K batches per epoch (${range(STEPS_PER_EPOCH)}).`),
    learningRate: z.number().optional().describe('Adam learning rate (default 5e-4).'),
    maxMinutes: z.number().optional().describe('Stop after the epoch that passes this many minutes (default 10, at most MAX_RETRAIN_MINUTES).'),
    includeBaseData: z.boolean().optional().describe("Add the model kind's base training set when present on the server (default: on for photos collections, else off)."),
    evaluationShare: z.number().optional().describe(`Share of gallery identities held out to compare the models (${range(EVALUATION_SHARE)}; 0.1 for photos collections).`),
    calibrationShare: z.number().optional().describe(`Share of gallery identities held out for the candidate's thresholds (${range(CALIBRATION_SHARE)}; 0.1 for photos collections).`),
    seed: z.number().int().optional().describe('Seed of the split, sampling and bootstrap (default 1).'),
  })
  .strict();

/** Most jobs one list answers. */
export const MAX_JOB_LIST = 100;
/** Jobs a list answers when it names no count. */
export const DEFAULT_JOB_LIST = 20;

/** A background job (retrain or switch) as the API returns it: the stored job with ISO times. */
export const jobSchema = z
  .object({
    id: idSchema,
    type: z.enum(['retrain', 'switch']),
    collectionId: idSchema.nullable(),
    status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']),
    params: z.record(z.string(), z.unknown()).describe('retrain: `settings`, `fromModelVersion`; switch: `from`, `to`, `reason`.'),
    progress: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('retrain: `phase`, `epoch`, `epochs`, `step`, `stepsPerEpoch`, `loss`, `pairsPerSecond`, `etaSeconds`, `losses` [[step, loss]], `validation` [[epoch, accuracy]]; switch: `phase`, `done`, `total`.'),
    result: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('retrain: `candidateVersion`, `comparison` (current vs candidate on held-out gallery identities: AUC, EER, TAR and FAR at each threshold with 95% intervals, ROC points, the AUC gain and its interval) and `trainedComparison` (the same on the training identities, queried with their images held out of training; null when none had 3+ images); switch: `from`, `to`, `threshold`.'),
    error: z.string().nullable(),
    createdAt: isoTimeSchema,
    startedAt: isoTimeSchema.nullable(),
    finishedAt: isoTimeSchema.nullable(),
  })
  .strict();
/** Recent jobs, newest first. */
export const jobListSchema = z.object({ items: z.array(jobSchema) }).strict();

/** A promotion or rollback to a model version, from the audit log. */
const promotionSchema = z
  .object({ at: isoTimeSchema, actor: z.string(), action: z.string(), collectionId: z.string().nullable(), from: z.string().nullable(), threshold: z.number().nullable() })
  .strict();

/** One model version as the models list shows it. */
export const modelSummarySchema = z
  .object({
    version: z.string(),
    kind: z.enum(['object', 'face']),
    domain: z.enum(['drawing', 'photo']).nullable().describe('Object models: the image domain they are for (a drawings or a photos collection); null for face models.'),
    /** 'bundled' (MODELS_DIR) or 'trained' (retrained here, DATA_DIR/models). */
    origin: z.enum(['bundled', 'trained']),
    /** The default of its kind and domain (new collections use it). */
    isDefault: z.boolean(),
    createdAt: z.string(),
    embeddingDim: z.number().int(),
    dataSource: z.string(),
    metrics: z.record(z.string(), z.number()),
    backend: z.string(),
    /** Collections whose current model it is. */
    collections: z.array(z.object({ id: idSchema, name: z.string() }).strict()),
    promotions: z.array(promotionSchema).describe('Promotions and rollbacks to this version, newest first (from the audit log).'),
  })
  .strict();
/** Every model version. */
export const modelListSchema = z.object({ items: z.array(modelSummarySchema) }).strict();

/** A model version with its whole manifest. */
export const modelDetailSchema = modelSummarySchema
  .extend({ manifest: z.record(z.string(), z.unknown()).describe('The model manifest: architecture, preprocessing, calibration, data, config, metrics, loss history.') })
  .strict();

/** A version a collection holds embeddings for: the current one, the rollback target (`previous`), the images embedded with it and whether its index file is on disk. */
export const collectionModelVersionSchema = z
  .object({ version: z.string(), current: z.boolean(), previous: z.boolean(), embeddedImages: z.number().int().min(0), indexOnDisk: z.boolean() })
  .strict();
/** The versions a collection holds embeddings for. */
export const collectionModelListSchema = z.object({ items: z.array(collectionModelVersionSchema) }).strict();

/** Resolved retraining settings. */
export type RetrainSettings = z.infer<typeof retrainSettingsSchema>;
/** A job as the API returns it. */
export type JobDto = z.infer<typeof jobSchema>;
/** One model version as the models list shows it. */
export type ModelSummary = z.infer<typeof modelSummarySchema>;
/** A version a collection holds embeddings for. */
export type CollectionModelVersion = z.infer<typeof collectionModelVersionSchema>;
