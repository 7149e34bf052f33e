/** The contract of images: what an enrolment answers and what the API shows of an enrolled image. */
import { z } from 'zod';
import { boxSchema, idSchema, isoTimeSchema, pageOf } from './common';

/** Why a file was not enrolled (the API's fixed list). */
export const REJECT_REASONS = ['undecodable', 'unsupported_type', 'too_large', 'too_many_pixels', 'no_face', 'face_too_small', 'low_score', 'duplicate'] as const;
/** Why a file was not enrolled. */
export const rejectReasonSchema = z.enum(REJECT_REASONS);

/** One rejected upload. */
export const rejectedFileSchema = z.object({ file: z.string(), reason: rejectReasonSchema, detail: z.string() }).strict();

/** What `enrollImages` answers, in upload order within each list; a re-upload of this identity's own image answers its existing id with verdict 'duplicate'. */
export const enrollResultSchema = z
  .object({
    enrolled: z.array(z.object({ imageId: idSchema, verdicts: z.array(z.string()), box: boxSchema.optional() }).strict()),
    rejected: z.array(rejectedFileSchema),
  })
  .strict();

/** An enrolled image as the API returns it. */
export const imageSchema = z
  .object({
    id: idSchema,
    collectionId: idSchema,
    identityId: idSchema,
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    format: z.string(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    sizeBytes: z.number().int().min(0),
    box: boxSchema.nullable(),
    verdicts: z.array(z.string()),
    createdAt: isoTimeSchema,
  })
  .strict();
/** A page of images. */
export const imagePageSchema = pageOf(imageSchema);

/** Why a file was not enrolled. */
export type RejectReason = z.infer<typeof rejectReasonSchema>;
/** One rejected upload. */
export type RejectedFile = z.infer<typeof rejectedFileSchema>;
/** What `enrollImages` answers. */
export type EnrollResult = z.infer<typeof enrollResultSchema>;
/** An enrolled image as the API returns it. */
export type ImageDto = z.infer<typeof imageSchema>;
