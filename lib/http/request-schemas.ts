/**
 * zod schemas of every request body and query. Multipart and JSON variants of an upload both
 * transform into the same `Upload` list, so a handler never cares which one arrived.
 */
import { z } from 'zod';
import { MAX_METADATA_BYTES, MAX_METADATA_DEPTH, metadataProblems, nameProblem } from '@/lib/matching/names';
import { requestRegistry as reg } from './registry';

/** One uploaded file, as lib/matching takes it. */
export interface Upload {
  name: string;
  bytes: Uint8Array;
}

/** Most files one request may enroll. */
export const MAX_FILES_PER_REQUEST = 100;

const id = z.string().min(1).max(100);
const name = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .superRefine((s, ctx) => {
    const problem = nameProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const metadata = z
  .record(z.string(), z.unknown())
  .superRefine((m, ctx) => {
    for (const message of metadataProblems(m)) ctx.addIssue({ code: 'custom', message });
  })
  .describe(`A JSON object of your own: at most ${MAX_METADATA_BYTES} bytes as JSON and ${MAX_METADATA_DEPTH} levels deep.`);
const base64 = z.base64().min(1, 'expected base64 image bytes, got an empty string');
const kParam = z.string().regex(/^\d+$/, 'expected an integer 1..100').transform(Number).pipe(z.number().int().min(1).max(100));

async function fromFile(file: File, index: number, field: string): Promise<Upload> {
  return { name: file.name && file.name !== 'blob' ? file.name : `${field}[${index}]`, bytes: new Uint8Array(await file.arrayBuffer()) };
}

function fromBase64(text: string, index: number, field: string): Upload {
  return { name: `${field}[${index}]`, bytes: new Uint8Array(Buffer.from(text, 'base64')) };
}

/** `?limit=&cursor=` of every list (query schemas become parameters, not components; unknown keys are ignored). */
export const pageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).optional().describe('Items per page, 1..100 (default 50).'),
    cursor: z.string().min(1).optional().describe('`nextCursor` of the previous page.'),
  });

/** Identity list query: a page plus a name filter. */
export const identityListQuery = pageQuery
  .extend({ q: z.string().min(1).max(200).optional().describe('Names containing this text, or this exact externalId.') });

/** Audit list query: a page plus filters. */
export const auditQuery = pageQuery
  .extend({
    collectionId: id.optional(),
    action: z.string().min(1).max(100).optional().describe('e.g. `search`, `verify`, `verify_identity`, `images.enroll`, `identity.delete`, `key.create`.'),
    since: z.iso.datetime().optional().describe('Entries at or after this time (ISO 8601, UTC).'),
    until: z.iso.datetime().optional().describe('Entries before this time (ISO 8601, UTC).'),
  });

/** `POST /api/session`. */
export const loginBody = z.object({ password: z.string().min(1).max(1024) }).strict().register(reg, { id: 'LoginRequest' });

/** `POST /api/keys`. */
export const createKeyBody = z
  .object({
    name: name.describe('What the key is for.'),
    role: z.enum(['admin', 'user']).default('user'),
    collectionId: id.nullable().optional().describe('Scope the key to one collection.'),
  })
  .strict()
  .register(reg, { id: 'CreateKeyRequest' });

const detectMode = z.enum(['auto', 'always', 'never']);
const settings = z.object({ detect: detectMode.optional() }).strict();
/** A query's detection override (face collections; object collections ignore it). */
const detect = detectMode
  .optional()
  .describe("Face collections: this request's face detection instead of the collection's setting (`never` embeds the whole image, e.g. a tight face crop the detector refuses).");
const targetFar = z.number().gt(0).lt(1).describe('Target open-set false accept rate (default 0.01).');

/** `POST /api/collections`. */
export const createCollectionBody = z
  .object({ name, kind: z.enum(['face', 'object']), targetFar: targetFar.optional(), settings: settings.optional() })
  .strict()
  .register(reg, { id: 'CreateCollectionRequest' });

/** `PATCH /api/collections/{id}`. */
export const updateCollectionBody = z
  .object({
    name: name.optional(),
    targetFar: targetFar.optional(),
    thresholdOverride: z.number().min(0).nullable().optional().describe('Raw distance threshold for the current model version; null clears it.'),
    settings: settings.optional(),
  })
  .strict()
  .register(reg, { id: 'UpdateCollectionRequest' });

/** `POST /api/collections/{id}/identities`. */
export const createIdentityBody = z
  .object({ name, externalId: z.string().min(1).max(200).optional(), metadata: metadata.optional() })
  .strict()
  .register(reg, { id: 'CreateIdentityRequest' });

/** `PATCH /api/identities/{id}`. */
export const updateIdentityBody = z
  .object({ name: name.optional(), externalId: z.string().min(1).max(200).nullable().optional(), metadata: metadata.nullable().optional() })
  .strict()
  .register(reg, { id: 'UpdateIdentityRequest' });

/** `PATCH /api/images/{id}`: move the image to another identity of its collection. */
export const moveImageBody = z.object({ identityId: id }).strict().register(reg, { id: 'MoveImageRequest' });

/** Enroll, JSON form. */
export const enrollJson = z
  .object({ imagesBase64: z.array(base64).min(1).max(MAX_FILES_PER_REQUEST) })
  .strict()
  .register(reg, { id: 'EnrollJsonRequest' })
  .transform((b) => ({ files: b.imagesBase64.map((t, i) => fromBase64(t, i, 'imagesBase64')) }));

/** Enroll, multipart form: one or more `images` parts. */
export const enrollMultipart = z
  .object({ images: z.array(z.file()).min(1).max(MAX_FILES_PER_REQUEST) })
  .strict()
  .register(reg, { id: 'EnrollMultipartRequest' })
  .transform(async (b) => ({ files: await Promise.all(b.images.map((f, i) => fromFile(f, i, 'images'))) }));

/** Import, multipart form: one `archive` part (a zip: folder per identity, or an export). */
export const importMultipart = z
  .object({ archive: z.file() })
  .strict()
  .register(reg, { id: 'ImportMultipartRequest' })
  .transform(async (b) => ({ archive: await fromFile(b.archive, 0, 'archive') }));

/** Search, JSON form. */
export const searchJson = z
  .object({ imageBase64: base64, k: z.number().int().min(1).max(100).default(10), detect })
  .strict()
  .register(reg, { id: 'SearchJsonRequest' })
  .transform((b) => ({ image: fromBase64(b.imageBase64, 0, 'imageBase64'), k: b.k, detect: b.detect }));

/** Search, multipart form: an `image` part and an optional `k`. */
export const searchMultipart = z
  .object({ image: z.file(), k: kParam.optional(), detect })
  .strict()
  .register(reg, { id: 'SearchMultipartRequest' })
  .transform(async (b) => ({ image: await fromFile(b.image, 0, 'image'), k: b.k ?? 10, detect: b.detect }));

/** Verify two images, JSON form. */
export const verifyPairJson = z
  .object({ aBase64: base64, bBase64: base64, detect })
  .strict()
  .register(reg, { id: 'VerifyPairJsonRequest' })
  .transform((b) => ({ a: fromBase64(b.aBase64, 0, 'aBase64'), b: fromBase64(b.bBase64, 0, 'bBase64'), detect: b.detect }));

/** Verify two images, multipart form: parts `a` and `b`. */
export const verifyPairMultipart = z
  .object({ a: z.file(), b: z.file(), detect })
  .strict()
  .register(reg, { id: 'VerifyPairMultipartRequest' })
  .transform(async (b) => ({ a: await fromFile(b.a, 0, 'a'), b: await fromFile(b.b, 0, 'b'), detect: b.detect }));

/** Verify an image against an identity, JSON form. */
export const verifyImageJson = z
  .object({ imageBase64: base64, detect })
  .strict()
  .register(reg, { id: 'VerifyIdentityJsonRequest' })
  .transform((b) => ({ image: fromBase64(b.imageBase64, 0, 'imageBase64'), detect: b.detect }));

/** Verify an image against an identity, multipart form: an `image` part. */
export const verifyImageMultipart = z
  .object({ image: z.file(), detect })
  .strict()
  .register(reg, { id: 'VerifyIdentityMultipartRequest' })
  .transform(async (b) => ({ image: await fromFile(b.image, 0, 'image'), detect: b.detect }));

/** `GET /api/images/{id}/file` query: the original bytes or a PNG rendition. */
export const imageFileQuery = z.object({
  format: z.enum(['original', 'png']).optional().describe('`original` (default) or `png`: a PNG of the decoded pixels, for display.'),
});

/** `POST /api/renditions`: the same single `image` part as verifying an image against an identity. */
export const renderMultipart = verifyImageMultipart;

/** `POST /api/collections/{id}/retrain`: settings of the job (every field optional; lib/matching validates ranges). */
export const retrainBody = z
  .object({
    epochs: z.number().int().optional().describe('Epochs of fine-tuning from the current model (1..200, default 6).'),
    stepsPerEpoch: z.number().int().optional().describe('P x K batches per epoch (1..1000, default 20).'),
    learningRate: z.number().optional().describe('Adam learning rate (default 5e-4).'),
    maxMinutes: z.number().optional().describe('Stop after the epoch that passes this many minutes (default 10, at most MAX_RETRAIN_MINUTES).'),
    includeBaseData: z.boolean().optional().describe("Add the model kind's base training set (when present on the server)."),
    evaluationShare: z.number().optional().describe('Share of gallery identities held out to compare the models (0.1..0.5, default 0.3).'),
    calibrationShare: z.number().optional().describe("Share of gallery identities held out for the candidate's thresholds (0.1..0.4, default 0.2)."),
    seed: z.number().int().optional().describe('Seed of the split, sampling and bootstrap (default 1).'),
  })
  .strict()
  .register(reg, { id: 'RetrainRequest' });

/** `POST /api/collections/{id}/promote`. */
export const promoteBody = z
  .object({ modelVersion: z.string().min(1).max(128).describe('The version to switch to (a candidate from a retraining job, or any kept version).') })
  .strict()
  .register(reg, { id: 'PromoteRequest' });

/** `GET /api/jobs`: a collection filter and a count. */
export const jobListQuery = z.object({
  collectionId: id.optional().describe('Only jobs of this collection.'),
  limit: z.coerce.number().int().min(1).max(100).optional().describe('Most jobs, newest first (default 20).'),
});
