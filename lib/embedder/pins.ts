/**
 * Pinned weight files: every pretrained file a model reads (face-api and BlazeFace for faces, the
 * photo backbone for photo objects) is checked against its SHA-256 before use, since a different
 * file would silently invalidate every stored embedding.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { NotReadyError } from '@/lib/errors';

/** Which pretrained weights a pin guards: the prefix of its error codes (`face_weights_mismatch`, `backbone_weights_missing`). */
export type PinnedWeights = 'face' | 'backbone';

/** Package version plus SHA-256 (hex) of every weight file, keyed by file name. */
export interface WeightPins {
  /** npm package name. */
  package: string;
  /** Exact package version. */
  version: string;
  /** `file name -> sha256 hex` for every manifest and shard read. */
  sha256: Record<string, string>;
}

/** `<what>_weights_mismatch`, with what was expected and what was found. */
export function weightsMismatch(message: string, details: Record<string, unknown>, what: PinnedWeights = 'face'): NotReadyError {
  return new NotReadyError(`${what}_weights_mismatch`, message, details);
}

/**
 * Reads `<dir>/<file>` and checks its SHA-256 against `pins`. Throws `<what>_weights_mismatch` when
 * the file has no pin or a different hash, `<what>_weights_missing` when it cannot be read;
 * `reinstall` says how to get the right file back.
 */
export async function readPinnedFile(dir: string, file: string, pins: WeightPins, reinstall: string, what: PinnedWeights = 'face'): Promise<Uint8Array> {
  const expected = pins.sha256[file];
  if (!expected) throw weightsMismatch(`the ${what} model pins no SHA-256 for ${file}; expected a pin for every weight file in use`, { file }, what);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path.join(dir, file)));
  } catch (e) {
    throw new NotReadyError(`${what}_weights_missing`, `cannot read ${what} weight file ${path.join(dir, file)} (${(e as Error).message}); ${reinstall}`);
  }
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== expected) {
    throw weightsMismatch(`${what} weight file ${file}: expected SHA-256 ${expected}, got ${got}; it differs from the ${pins.package}@${pins.version} file the ${what} model was built with (${reinstall}, or re-train the model and re-enrol)`, { file, expected, got }, what);
  }
  return bytes;
}
