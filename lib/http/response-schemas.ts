/**
 * zod schemas of every response body. They are strict (`additionalProperties: false` in the
 * document), so a field the document does not name fails validation in the tests.
 */
import { z } from 'zod';
import { responseRegistry as reg } from './registry';

const id = z.string().min(1);
const time = z.iso.datetime();
const distance = z.number().min(0).describe('Euclidean distance between L2-normalised embeddings (smaller is closer).');
const box = z
  .object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() })
  .strict()
  .register(reg, { id: 'Box', description: 'Face box in original image pixels.' });
const rejectReason = z.enum(['undecodable', 'unsupported_type', 'too_large', 'too_many_pixels', 'no_face', 'face_too_small', 'low_score', 'duplicate']);

/** One rejected upload. */
export const rejectedFile = z
  .object({ file: z.string(), reason: rejectReason, detail: z.string() })
  .strict()
  .register(reg, { id: 'RejectedFile' });

/** RFC 9457 problem details. */
export const problemSchema = z
  .object({
    type: z.string().describe('`/problems/<code>`.'),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string(),
    instance: z.string().describe('The request id (also in the `x-request-id` header).'),
    code: z.string().regex(/^[a-z0-9_]+$/),
    errors: z.array(z.object({ path: z.string(), message: z.string() }).strict()).optional().describe('Every 422: the fields at fault.'),
    rejected: z.array(rejectedFile).optional().describe('An enroll 422: why each file was rejected.'),
  })
  .strict()
  .register(reg, { id: 'Problem' });

function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({ items: z.array(item), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last.') })
    .strict()
    .register(reg, { id: `${name}Page` });
}

/** `POST /api/session`. */
export const sessionSchema = z.object({ id, expiresAt: time }).strict().register(reg, { id: 'Session' });

/** An API key as listed (never the secret). */
export const apiKeySchema = z
  .object({
    id,
    name: z.string(),
    prefix: z.string().describe('First characters of the key, to recognise it.'),
    role: z.enum(['admin', 'user']),
    collectionId: z.string().nullable(),
    createdAt: time,
    lastUsedAt: time.nullable(),
    revokedAt: time.nullable(),
  })
  .strict()
  .register(reg, { id: 'ApiKey' });

/** `POST /api/keys`: the key itself is shown this once. */
export const createdKeySchema = apiKeySchema.extend({ key: z.string().describe('The secret; store it now, it is not shown again.') }).strict().register(reg, { id: 'CreatedApiKey' });
/** `GET /api/keys`. */
export const apiKeyPage = pageOf(apiKeySchema, 'ApiKey');

/** One audit log entry. */
export const auditEntrySchema = z
  .object({
    id,
    createdAt: time,
    actor: z.string(),
    action: z.string(),
    collectionId: z.string().nullable(),
    modelVersion: z.string().nullable(),
    threshold: z.number().nullable(),
    queryHash: z.string().nullable().describe('SHA-256 of the query image; the image itself is not stored.'),
    details: z.unknown().describe('Decision, neighbours with distances, or the admin operation.'),
  })
  .strict()
  .register(reg, { id: 'AuditEntry' });
/** `GET /api/audit`. */
export const auditPage = pageOf(auditEntrySchema, 'AuditEntry');

/** A collection. */
export const collectionSchema = z
  .object({
    id,
    name: z.string(),
    kind: z.enum(['face', 'object']),
    modelVersion: z.string(),
    previousModelVersion: z.string().nullable().describe('The version served before the last promote or rollback: the target of a rollback.'),
    targetFar: z.number(),
    thresholdOverride: z.number().nullable(),
    threshold: z
      .object({ distance: z.number().nullable(), source: z.enum(['override', 'gallery', 'model']), identities: z.number().int().min(0) })
      .strict()
      .describe('The distance searches decide with, where it came from, and the identity count it was computed for.'),
    settings: z.object({ detect: z.enum(['auto', 'always', 'never']).optional() }).strict(),
    identityCount: z.number().int().min(0),
    imageCount: z.number().int().min(0),
    createdAt: time,
    updatedAt: time,
  })
  .strict()
  .register(reg, { id: 'Collection' });
/** `GET /api/collections`. */
export const collectionPage = pageOf(collectionSchema, 'Collection');

/** An identity. */
export const identitySchema = z
  .object({
    id,
    collectionId: id,
    name: z.string(),
    externalId: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    imageCount: z.number().int().min(0),
    createdAt: time,
    updatedAt: time,
  })
  .strict()
  .register(reg, { id: 'Identity' });
/** `GET /api/collections/{id}/identities`. */
export const identityPage = pageOf(identitySchema, 'Identity');

/** An enrolled image. */
export const imageSchema = z
  .object({
    id,
    collectionId: id,
    identityId: id,
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    format: z.string(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    sizeBytes: z.number().int().min(0),
    box: box.nullable(),
    verdicts: z.array(z.string()),
    createdAt: time,
  })
  .strict()
  .register(reg, { id: 'Image' });
/** `GET /api/identities/{id}/images`. */
export const imagePage = pageOf(imageSchema, 'Image');

/** `POST /api/identities/{id}/images` (201). */
export const enrollResultSchema = z
  .object({
    enrolled: z.array(z.object({ imageId: id, verdicts: z.array(z.string()), box: box.optional() }).strict()),
    rejected: z.array(rejectedFile),
  })
  .strict()
  .register(reg, { id: 'EnrollResult' });

const rateEstimate = z
  .object({ value: z.number().min(0).max(1), n: z.number().int().min(0), lo: z.number(), hi: z.number(), upperBound: z.number().nullable() })
  .strict()
  .register(reg, { id: 'RateEstimate', description: 'A rate with its trials and bootstrap 95% interval; upperBound (3/n) when no event was seen.' });

/** `GET /api/collections/{id}/calibration`. */
export const calibrationReportSchema = z
  .object({
    collectionId: id,
    modelVersion: z.string(),
    sequence: z.number().int().min(0),
    computedAt: time,
    eligibleIdentities: z.number().int().min(0),
    minIdentities: z.number().int().min(1),
    targetFar: z.number(),
    threshold: z.object({ distance: z.number().nullable(), source: z.enum(['override', 'gallery', 'model']), identities: z.number().int().min(0) }).strict(),
    trials: z.object({ genuine: z.number().int().min(0), impostor: z.number().int().min(0), sampled: z.boolean() }).strict(),
    genuine: z.array(distance),
    impostor: z.array(distance),
    auc: z.number().nullable(),
    eer: z.number().nullable(),
    atThreshold: z.object({ far: rateEstimate, frr: rateEstimate }).strict().nullable(),
    targets: z.array(
      z.object({ far: z.number(), minImpostorTrials: z.number().int(), measurable: z.boolean(), threshold: z.number().nullable() }).strict(),
    ),
    roc: z.object({ distances: z.array(z.number()), far: z.array(z.number()), tar: z.array(z.number()) }).strict().nullable(),
  })
  .strict()
  .register(reg, { id: 'CalibrationReport' });

/** `POST /api/collections/{id}/import`. */
export const importResultSchema = z
  .object({
    layout: z.enum(['folders', 'export']),
    identities: z.object({ created: z.number().int().min(0), existing: z.number().int().min(0) }).strict(),
    enrolled: z.number().int().min(0),
    duplicates: z.number().int().min(0),
    rejected: z.array(z.object({ file: z.string(), reason: z.union([rejectReason, z.literal('conflict')]), detail: z.string() }).strict()),
  })
  .strict()
  .register(reg, { id: 'ImportResult' });

const neighbour = z.object({ identityId: id, name: z.string(), distance }).strict();

/** `POST /api/collections/{id}/search`. */
export const searchResultSchema = z
  .object({
    modelVersion: z.string(),
    results: z.array(
      z
        .object({
          box: box.optional(),
          decision: z
            .object({
              match: z.boolean(),
              identityId: z.string().nullable(),
              name: z.string().nullable(),
              distance: distance.nullable().describe('Best distance to any identity, also when unknown; null for an empty collection.'),
              threshold: z.number().nullable(),
            })
            .strict(),
          neighbours: z.array(neighbour).describe('Nearest identities (best distance each), ascending.'),
        })
        .strict(),
    ),
  })
  .strict()
  .register(reg, { id: 'SearchResult' });

/** `POST /api/collections/{id}/verify` and `POST /api/identities/{id}/verify`. */
export const verifyResultSchema = z
  .object({ modelVersion: z.string(), same: z.boolean(), distance, threshold: z.number().nullable() })
  .strict()
  .register(reg, { id: 'VerifyResult' });

/** `GET /api/health` (the lead's route; documented here). */
export const healthSchema = z
  .object({
    status: z.enum(['starting', 'ready', 'degraded', 'failed']).describe('`degraded`: the embedding worker exited and is restarting; searches and enrolments answer 503 until it is back.'),
    version: z.string(),
    uptimeSeconds: z.number(),
    backend: z.string().nullable(),
    database: z
      .object({
        kind: z.enum(['sqlite', 'postgresql']),
        migrations: z.object({ applied: z.number().int(), latest: z.string().nullable(), pending: z.number().int() }).strict().nullable(),
      })
      .strict(),
    models: z.array(z.object({ kind: z.string(), version: z.string(), embeddingDim: z.number().int() }).strict()),
    error: z.string().optional(),
  })
  .strict()
  .register(reg, { id: 'Health' });

/** A background job (retrain or switch). */
export const jobSchema = z
  .object({
    id,
    type: z.enum(['retrain', 'switch']),
    collectionId: id.nullable(),
    status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted']),
    params: z.record(z.string(), z.unknown()).describe('retrain: `settings`, `fromModelVersion`; switch: `from`, `to`, `reason`.'),
    progress: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('retrain: `phase`, `epoch`, `epochs`, `step`, `stepsPerEpoch`, `loss`, `pairsPerSecond`, `etaSeconds`, `losses` [[step, loss]], `validation` [[epoch, accuracy]]; switch: `phase`, `done`, `total`.'),
    result: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('retrain: `candidateVersion` and `comparison` (current vs candidate on held-out gallery identities: AUC, EER, TAR and FAR at each threshold with 95% intervals, ROC points, the AUC gain and its interval); switch: `from`, `to`, `threshold`.'),
    error: z.string().nullable(),
    createdAt: time,
    startedAt: time.nullable(),
    finishedAt: time.nullable(),
  })
  .strict()
  .register(reg, { id: 'Job' });

/** `GET /api/jobs`. */
export const jobList = z.object({ items: z.array(jobSchema) }).strict().register(reg, { id: 'JobList' });

const promotion = z
  .object({ at: time, actor: z.string(), action: z.string(), collectionId: z.string().nullable(), from: z.string().nullable(), threshold: z.number().nullable() })
  .strict();

const modelSummaryShape = {
  version: z.string(),
  kind: z.enum(['object', 'face']),
  origin: z.enum(['bundled', 'trained']),
  isDefault: z.boolean(),
  createdAt: z.string(),
  embeddingDim: z.number().int(),
  dataSource: z.string(),
  metrics: z.record(z.string(), z.number()),
  backend: z.string(),
  collections: z.array(z.object({ id, name: z.string() }).strict()),
  promotions: z.array(promotion).describe('Promotions and rollbacks to this version, newest first (from the audit log).'),
};

/** `GET /api/models`. */
export const modelList = z
  .object({ items: z.array(z.object(modelSummaryShape).strict().register(reg, { id: 'ModelSummary' })) })
  .strict()
  .register(reg, { id: 'ModelList' });

/** `GET /api/models/{version}`. */
export const modelDetail = z
  .object({ ...modelSummaryShape, manifest: z.record(z.string(), z.unknown()).describe('The model manifest: architecture, preprocessing, calibration, data, config, metrics, loss history.') })
  .strict()
  .register(reg, { id: 'ModelDetail' });

/** `GET /api/collections/{id}/models`. */
export const collectionModelList = z
  .object({
    items: z.array(
      z.object({ version: z.string(), current: z.boolean(), previous: z.boolean(), embeddedImages: z.number().int().min(0), indexOnDisk: z.boolean() }).strict(),
    ),
  })
  .strict()
  .register(reg, { id: 'CollectionModelList' });
