/**
 * RFC 9457 problem details: the ONE table from error `code` to HTTP status, and the
 * `application/problem+json` body. Raw zod issues, Prisma messages and stacks never get here:
 * only an `AppError`'s own message is shown; anything else is a generic 500.
 */
import { z } from 'zod';
import { AppError, ConflictError, InputError, NotFoundError, NotReadyError } from '@/lib/errors';
import { rejectedFileSchema, type RejectedFile } from '@/lib/matching/contract';

/** Content type of every error body. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One `{path, message}` of a 422 validation failure: the dotted path of the field in the body or query (e.g. `images.0` or `limit`), and what was expected and what arrived. */
const fieldErrorSchema = z.object({ path: z.string(), message: z.string() }).strict();

/** The problem+json body (RFC 9457). */
export const problemSchema = z
  .object({
    type: z.string().describe('`/problems/<code>`.'),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string(),
    instance: z.string().describe('The request id (also in the `x-request-id` header).'),
    code: z.string().regex(/^[a-z0-9_]+$/),
    errors: z.array(fieldErrorSchema).optional().describe('Every 422: the fields at fault.'),
    rejected: z.array(rejectedFileSchema).optional().describe('An enroll 422: why each file was rejected.'),
  })
  .strict();

/** One `{path, message}` of a 422 validation failure. */
export type FieldError = z.infer<typeof fieldErrorSchema>;
/** The problem+json body. */
export type Problem = z.infer<typeof problemSchema>;

type Status = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503;

/** code -> [status, title]: the one table. Codes not listed fall back by error class below. */
const BY_CODE: Record<string, [Status, string]> = {
  bad_request: [400, 'Bad request'],
  invalid_json: [400, 'Malformed JSON body'],
  invalid_multipart: [400, 'Malformed multipart body'],
  invalid_cursor: [400, 'Invalid cursor'],
  invalid_archive: [400, 'Invalid archive'],
  archive_unsafe_path: [400, 'Unsafe path in archive'],
  not_authenticated: [401, 'Not authenticated'],
  forbidden: [403, 'Not allowed'],
  cross_origin: [403, 'Cross-origin request refused'],
  not_found: [404, 'Not found'],
  collection_not_found: [404, 'Collection not found'],
  identity_not_found: [404, 'Identity not found'],
  image_not_found: [404, 'Image not found'],
  key_not_found: [404, 'API key not found'],
  job_not_found: [404, 'Job not found'],
  model_not_found: [404, 'Model version not found'],
  plot_not_found: [404, 'Plot not found'],
  blob_not_found: [404, 'Image file not found'],
  conflict: [409, 'Conflict'],
  job_running: [409, 'A job is running for this collection'],
  job_finished: [409, 'The job has ended'],
  model_in_use: [409, 'Model version in use'],
  nothing_to_roll_back: [409, 'No previous model version'],
  model_switched: [409, 'Model switched during the request'],
  request_too_large: [413, 'Request body too large'],
  archive_too_large: [413, 'Archive too large'],
  unsupported_media_type: [415, 'Unsupported media type'],
  validation_failed: [422, 'Invalid request'],
  invalid_limit: [422, 'Invalid request'],
  enroll_rejected: [422, 'No image was enrolled'],
  undecodable: [422, 'Image cannot be decoded'],
  unsupported_type: [422, 'Unsupported image type'],
  too_large: [422, 'Image too large'],
  too_many_pixels: [422, 'Image has too many pixels'],
  no_face: [422, 'No face found'],
  face_too_small: [422, 'Face too small'],
  low_score: [422, 'Face detection score too low'],
  invalid_image: [422, 'Invalid image'],
  gallery_too_small: [422, 'Gallery too small to retrain'],
  retrain_unsupported: [422, 'Retraining not supported for this collection'],
  invalid_settings: [422, 'Invalid settings'],
  model_kind_mismatch: [422, 'Model of another kind'],
  model_domain_mismatch: [422, 'Model of another image domain'],
  too_many_attempts: [429, 'Too many failed sign-ins'],
  starting: [503, 'Service starting'],
  runtime_failed: [503, 'Service unavailable'],
  index_not_ready: [503, 'Index not ready'],
  model_not_trained: [503, 'No model for this kind'],
  face_weights_mismatch: [503, 'Face weights differ from the face model'],
  face_weights_missing: [503, 'Face weights missing'],
  backbone_weights_mismatch: [503, 'Photo backbone weights differ from the photo model'],
  backbone_weights_missing: [503, 'Photo backbone weights missing'],
  embedder_restarting: [503, 'Embedding worker restarting'],
  embedder_stopped: [503, 'Embedding worker stopped'],
  invariant: [500, 'Internal error'],
};

/** Fallback for codes not in the table, by the error's class (most specific first). */
const BY_CLASS: [new (...args: never[]) => AppError, Status, string][] = [
  [NotFoundError, 404, 'Not found'],
  [ConflictError, 409, 'Conflict'],
  [NotReadyError, 503, 'Service unavailable'],
  [InputError, 422, 'Invalid request'],
];

/** Every status a problem can have (for the OpenAPI document). */
export const PROBLEM_STATUSES: readonly Status[] = [400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503];

const GENERIC_500 = 'an unexpected error occurred; the server log has the details under this request id';

/** Status and title of an error; unknown errors and invariants are 500. */
export function statusOf(err: unknown): { status: Status; title: string } {
  if (!(err instanceof AppError)) return { status: 500, title: 'Internal error' };
  const byCode = BY_CODE[err.code];
  if (byCode) return { status: byCode[0], title: byCode[1] };
  for (const [cls, status, title] of BY_CLASS) if (err instanceof cls) return { status, title };
  return { status: 500, title: 'Internal error' };
}

/** The problem body of an error; a 500 never carries the error's own message. */
export function toProblem(err: unknown, requestId: string): Problem {
  const { status, title } = statusOf(err);
  if (status === 500 || !(err instanceof AppError)) {
    return { type: '/problems/internal', title, status: 500, detail: GENERIC_500, instance: requestId, code: 'internal' };
  }
  const problem: Problem = { type: `/problems/${err.code}`, title, status, detail: err.message, instance: requestId, code: err.code };
  // Every 422 carries `errors`, empty when the error names no field (e.g. an undecodable image).
  const errors = err.details?.errors;
  if (status === 422) problem.errors = Array.isArray(errors) ? (errors as FieldError[]) : [];
  const rejected = err.details?.rejected;
  if (err.code === 'enroll_rejected' && Array.isArray(rejected)) problem.rejected = rejected as RejectedFile[];
  return problem;
}

/** `Retry-After` of a 503 whose error names none: each is transient (starting, index rebuilding, embedding worker restarting). */
export const RETRY_AFTER_SECONDS = 5;

/** `Retry-After` for an error whose details carry `retryAfterSeconds` (e.g. a throttled sign-in). */
export function problemHeaders(err: unknown): HeadersInit | undefined {
  const seconds = err instanceof AppError ? err.details?.retryAfterSeconds : undefined;
  return typeof seconds === 'number' && seconds > 0 ? { 'retry-after': String(Math.ceil(seconds)) } : undefined;
}

/** A problem+json response; a 503 carries `Retry-After` (the given one, else `RETRY_AFTER_SECONDS`). */
export function problemResponse(problem: Problem, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set('content-type', PROBLEM_CONTENT_TYPE);
  h.set('cache-control', 'no-store');
  if (problem.status === 503 && !h.has('retry-after')) h.set('retry-after', String(RETRY_AFTER_SECONDS));
  return new Response(JSON.stringify(problem), { status: problem.status, headers: h });
}

/** The enroll 422: nothing was enrolled; the body carries why each file was rejected. */
export function enrollRejectedError(rejected: RejectedFile[]): InputError {
  const reasons = [...new Set(rejected.map((r) => r.reason))].join(', ');
  return new InputError('enroll_rejected', `none of the ${rejected.length} file(s) was enrolled (${reasons}); see \`rejected\``, { rejected });
}
