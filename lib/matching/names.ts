/**
 * What a name and identity metadata may hold (issue 16): the use cases, the archive import and the
 * HTTP request schemas all check them here, so a name typed into the API and a folder name in a zip
 * meet the same rule.
 */
import { InputError } from '@/lib/errors';

/** Largest identity metadata, as UTF-8 JSON (2 MB was accepted before issue 16). */
export const MAX_METADATA_BYTES = 16 * 1024;
/** Deepest nesting of identity metadata; the top-level object is depth 1 (1000 levels were accepted before issue 16). */
export const MAX_METADATA_DEPTH = 8;
/** Longest name of a collection, identity or key, in UTF-16 code units after trimming. */
export const MAX_NAME_LENGTH = 200;
/** C0/C1 controls, line and paragraph separators, and the bidi marks, embeddings, overrides and isolates. */
const CONTROL_CHARS = /[\p{Cc}\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `name` is refused, or null: a control or bidi character would let a name reorder the text around it. */
export function nameProblem(name: string): string | null {
  const found = name.match(CONTROL_CHARS);
  return found ? `expected a name without control or bidi characters, got ${codePoint(found[0])}` : null;
}

/** `text` with each control or bidi character written as `<U+XXXX>`, safe to quote in a message. */
export function printable(text: string): string {
  return text.replace(new RegExp(CONTROL_CHARS.source, 'gu'), (c) => `<${codePoint(c)}>`);
}

/** Nesting depth of a JSON value (a scalar is 0), without recursion so deep input cannot overflow the stack. */
function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Why identity metadata is refused (too deep, too large), or an empty list. */
export function metadataProblems(metadata: unknown): string[] {
  const out: string[] = [];
  const depth = jsonDepth(metadata);
  if (depth > MAX_METADATA_DEPTH) out.push(`expected metadata nested at most ${MAX_METADATA_DEPTH} levels deep, got ${depth}`);
  const bytes = Buffer.byteLength(JSON.stringify(metadata) ?? '');
  if (bytes > MAX_METADATA_BYTES) out.push(`expected metadata of at most ${MAX_METADATA_BYTES} bytes as JSON, got ${bytes}`);
  return out;
}

/** The trimmed name of a collection or identity; throws `invalid_name` unless 1..MAX_NAME_LENGTH characters without control or bidi characters. */
export function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > MAX_NAME_LENGTH) throw new InputError('invalid_name', `name must have 1..${MAX_NAME_LENGTH} characters, got ${trimmed.length}`);
  const problem = nameProblem(trimmed);
  if (problem) throw new InputError('invalid_name', problem);
  return trimmed;
}

/** Throws `invalid_metadata` unless `m` is absent or a JSON object within the size and depth bounds. */
export function checkMetadata(m: unknown): void {
  if (m === undefined || m === null) return;
  if (typeof m !== 'object' || Array.isArray(m)) {
    throw new InputError('invalid_metadata', `metadata must be a JSON object, got ${Array.isArray(m) ? 'an array' : typeof m}`);
  }
  const problems = metadataProblems(m);
  if (problems.length > 0) throw new InputError('invalid_metadata', problems.join('; '));
}
