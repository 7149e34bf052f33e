/**
 * zod schemas of every request body and query: the domain's input schemas (lib/matching/contract)
 * as the API receives them, plus the transport (pages, multipart parts, base64). Multipart and
 * JSON variants of an upload both transform into the same `Upload` list, so a handler never cares
 * which one arrived.
 */
import { z } from 'zod';
import * as c from '@/lib/matching/contract';
import { requestRegistry as reg } from './registry';

/** One uploaded file, as lib/matching takes it. */
export interface Upload {
  name: string;
  bytes: Uint8Array;
}

/** Most files one request may enroll. */
export const MAX_FILES_PER_REQUEST = 100;

const id = z.string().min(1).max(100);
const base64 = z.base64().min(1, 'expected base64 image bytes, got an empty string');
const kParam = z.string().regex(/^\d+$/, `expected an integer 1..${c.MAX_K}`).transform(Number).pipe(c.kSchema);

async function fromFile(file: File, index: number, field: string): Promise<Upload> {
  return { name: file.name && file.name !== 'blob' ? file.name : `${field}[${index}]`, bytes: new Uint8Array(await file.arrayBuffer()) };
}

function fromBase64(text: string, index: number, field: string): Upload {
  return { name: `${field}[${index}]`, bytes: new Uint8Array(Buffer.from(text, 'base64')) };
}

/** `?limit=&cursor=` of every list (query schemas become parameters, not components; unknown keys are ignored). */
export const pageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(c.MAX_PAGE_SIZE).optional().describe(`Items per page, 1..${c.MAX_PAGE_SIZE} (default ${c.DEFAULT_PAGE_SIZE}).`),
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
    name: c.nameSchema.describe('What the key is for.'),
    role: z.enum(['admin', 'user']).default('user'),
    collectionId: id.nullable().optional().describe('Scope the key to one collection.'),
  })
  .strict()
  .register(reg, { id: 'CreateKeyRequest' });

/** A query's detection override (face collections; object collections ignore it). */
const detect = c.detectSettingSchema
  .optional()
  .describe("Face collections: this request's face detection instead of the collection's setting (`never` embeds the whole image, e.g. a tight face crop the detector refuses).");

/** `POST /api/collections`. */
export const createCollectionBody = c.createCollectionSchema.register(reg, { id: 'CreateCollectionRequest' });

/** `PATCH /api/collections/{id}`. */
export const updateCollectionBody = c.collectionPatchSchema.register(reg, { id: 'UpdateCollectionRequest' });

/** `POST /api/collections/{id}/identities`. */
export const createIdentityBody = c.createIdentitySchema.register(reg, { id: 'CreateIdentityRequest' });

/** `PATCH /api/identities/{id}`. */
export const updateIdentityBody = c.identityPatchSchema.register(reg, { id: 'UpdateIdentityRequest' });

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
  .object({ imageBase64: base64, k: c.kSchema.default(c.DEFAULT_K), detect })
  .strict()
  .register(reg, { id: 'SearchJsonRequest' })
  .transform((b) => ({ image: fromBase64(b.imageBase64, 0, 'imageBase64'), k: b.k, detect: b.detect }));

/** Search, multipart form: an `image` part and an optional `k`. */
export const searchMultipart = z
  .object({ image: z.file(), k: kParam.optional(), detect })
  .strict()
  .register(reg, { id: 'SearchMultipartRequest' })
  .transform(async (b) => ({ image: await fromFile(b.image, 0, 'image'), k: b.k ?? c.DEFAULT_K, detect: b.detect }));

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
export const retrainBody = c.retrainRequestSchema.register(reg, { id: 'RetrainRequest' });

/** `POST /api/collections/{id}/promote`. */
export const promoteBody = z
  .object({ modelVersion: z.string().min(1).max(128).describe('The version to switch to (a candidate from a retraining job, or any kept version).') })
  .strict()
  .register(reg, { id: 'PromoteRequest' });

/** `GET /api/jobs`: a collection filter and a count. */
export const jobListQuery = z.object({
  collectionId: id.optional().describe('Only jobs of this collection.'),
  limit: z.coerce.number().int().min(1).max(c.MAX_JOB_LIST).optional().describe(`Most jobs, newest first (default ${c.DEFAULT_JOB_LIST}).`),
});
