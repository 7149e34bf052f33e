/**
 * Request bodies under the upload limit: a Content-Length over the limit is refused before a
 * byte is read, and a body streamed without one is cut off (and refused) as soon as it passes.
 */
import { InputError } from '@/lib/errors';

/** Body kinds the API accepts. */
export type BodyKind = 'json' | 'multipart';

/** 413: the request body is larger than MAX_UPLOAD_BYTES. */
export class TooLargeError extends InputError {
  constructor(limitBytes: number, got: string) {
    super('request_too_large', `request bodies are limited to ${limitBytes} bytes (MAX_UPLOAD_BYTES), got ${got}`);
  }
}

/** Throws 413 when the declared Content-Length is over the limit (call before reading). */
export function checkDeclaredLength(request: Request, limitBytes: number): void {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > limitBytes) {
    throw new TooLargeError(limitBytes, `Content-Length ${declared}`);
  }
}

/** The kind of the body's Content-Type, or a 415 naming what is accepted. */
export function bodyKind(request: Request, accepted: readonly BodyKind[]): BodyKind {
  const type = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  const kind: BodyKind | null =
    type === 'application/json' || type.endsWith('+json') ? 'json' : type === 'multipart/form-data' ? 'multipart' : null;
  if (kind && accepted.includes(kind)) return kind;
  const names = accepted.map((k) => (k === 'json' ? 'application/json' : 'multipart/form-data')).join(' or ');
  throw new InputError('unsupported_media_type', `expected a ${names} body, got ${type ? `"${type}"` : 'no Content-Type'}`);
}

/** Reads the whole body, refusing (413) as soon as more than `limitBytes` arrive. */
export async function readLimited(request: Request, limitBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      await reader.cancel().catch(() => undefined);
      throw new TooLargeError(limitBytes, `more than ${limitBytes} bytes in a streamed body`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** Parses JSON bytes; malformed JSON (or bad UTF-8) is 400 `invalid_json`. */
export function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new InputError('invalid_json', 'the body is not valid JSON (UTF-8)');
  }
}

/** Parses multipart bytes into a FormData; a malformed body is 400 `invalid_multipart`. */
export async function parseMultipart(bytes: Uint8Array<ArrayBuffer>, contentType: string): Promise<FormData> {
  try {
    return await new Response(bytes, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new InputError('invalid_multipart', 'the multipart/form-data body cannot be parsed (boundary missing or body truncated?)');
  }
}

/**
 * FormData as a plain object for zod: a field whose schema is an array gets every value, any
 * other field its single value (several values for it stay an array, which the schema rejects).
 */
export function formToObject(form: FormData, arrayFields: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set(form.keys())) {
    const values = form.getAll(key);
    out[key] = arrayFields.has(key) || values.length > 1 ? values : values[0];
  }
  return out;
}
