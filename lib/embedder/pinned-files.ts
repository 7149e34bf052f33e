/**
 * Files shipped in a model folder beside its weights and pinned by sha256 from `manifest.json`
 * (a cohort, an open-set table): read with their hash checked, written with the manifest's pointer
 * at them, each through a temp file and a rename.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NotReadyError } from '@/lib/errors';
import { manifestBytesWith, sha256Hex, type FileRef } from './manifest';

/** What a pinned file is, for its errors: `<what>_missing` / `<what>_mismatch`, and the command that rebuilds it. */
export interface PinnedKind {
  what: 'cohort' | 'open_set_table';
  rebuild: string;
}

/** Reads `file` and checks its sha256; throws `NotReadyError` (`<what>_missing`, `<what>_mismatch`). */
export async function readPinned(file: string, expected: string, kind: PinnedKind): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new NotReadyError(`${kind.what}_missing`, `cannot read ${file} (${(e as Error).message}); rebuild it with \`${kind.rebuild}\``);
  }
  const got = sha256Hex(bytes);
  if (got !== expected) {
    throw new NotReadyError(`${kind.what}_mismatch`, `${file}: expected sha256 ${expected}, got ${got}; it was changed after the manifest was written (rebuild it with \`${kind.rebuild}\`)`, { file, expected, got });
  }
  return bytes;
}

/**
 * Writes `files` into `modelDir`, then points the manifest's `field` at the first of them (file
 * name and sha256); returns the pointer.
 */
export async function writePinned(modelDir: string, field: 'cohort' | 'openSetTable', files: readonly (readonly [string, Uint8Array])[]): Promise<FileRef> {
  const [name, bytes] = files[0];
  const ref: FileRef = { file: name, sha256: sha256Hex(bytes) };
  const manifestJson = await manifestBytesWith(modelDir, { [field]: ref });
  for (const [file, content] of [...files, ['manifest.json', manifestJson] as const]) {
    const target = path.join(modelDir, file);
    await writeFile(`${target}.tmp`, content);
    await rename(`${target}.tmp`, target);
  }
  return ref;
}
