/**
 * Pinned weight files: every file a face model reads is checked against the SHA-256 in its
 * `face.json` before use, since a different file would silently invalidate every stored embedding.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { NotReadyError } from '@/lib/errors';

/** Package version plus SHA-256 (hex) of every weight file, keyed by file name. */
export interface FaceWeightPins {
  /** npm package name. */
  package: string;
  /** Exact package version. */
  version: string;
  /** `file name -> sha256 hex` for every manifest and shard read. */
  sha256: Record<string, string>;
}

/** `face_weights_mismatch`, with what was expected and what was found. */
export function weightsMismatch(message: string, details: Record<string, unknown>): NotReadyError {
  return new NotReadyError('face_weights_mismatch', message, details);
}

/**
 * Reads `<dir>/<file>` and checks its SHA-256 against `pins`. Throws `face_weights_mismatch` when
 * the file has no pin or a different hash, `face_weights_missing` when it cannot be read;
 * `reinstall` says how to get the right file back.
 */
export async function readPinnedFile(dir: string, file: string, pins: FaceWeightPins, reinstall: string): Promise<Uint8Array> {
  const expected = pins.sha256[file];
  if (!expected) throw weightsMismatch(`the face model pins no SHA-256 for ${file}; expected a pin for every weight file in use`, { file });
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path.join(dir, file)));
  } catch (e) {
    throw new NotReadyError('face_weights_missing', `cannot read face weight file ${path.join(dir, file)} (${(e as Error).message}); ${reinstall}`);
  }
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== expected) {
    throw weightsMismatch(`face weight file ${file}: expected SHA-256 ${expected}, got ${got}; it differs from the ${pins.package}@${pins.version} file the face model was built with (${reinstall}, or re-train the face model and re-enrol)`, { file, expected, got });
  }
  return bytes;
}
