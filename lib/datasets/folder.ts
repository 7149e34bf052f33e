/**
 * Folder-per-identity data sets. The identity of an image is the path, relative to the root, of the
 * folder that directly holds it ("alice", "Korean/character07"). Folders nest freely; a `.zip`
 * archive (recognised by its bytes) acts as a folder named like the archive without `.zip`, and the
 * root itself may be a `.zip`. Formats are sniffed from the bytes (file extensions are ignored);
 * hidden files and folders (leading ".") are skipped, as are files that are not images at all.
 * A recognised but refused image type (TIFF, SVG, ...) is an error, never silently dropped.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { AppError, InputError } from '@/lib/errors';
import { decodeImage, preprocessImage, sniffFormat, type PreprocessSpec } from '@/lib/imaging';
import { mapLimit } from './map-limit';
import type { Dataset, IdentityImages } from './types';

/** One image file found under a folder-per-identity root. */
export interface FolderImage {
  /** Identity: the path of the folder (or archive, minus `.zip`) directly holding the file. */
  identity: string;
  /** Where the file came from, for messages: "alice/1.jpg" or "people.zip!bob/2.png". */
  source: string;
  /** The file bytes. */
  bytes: Uint8Array;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

function isZip(bytes: Uint8Array): boolean {
  return ZIP_MAGIC.every((b, i) => bytes[i] === b);
}

function isHidden(name: string): boolean {
  return name.startsWith('.') || name === '__MACOSX';
}

/** Strips a trailing `.zip` (any case) so an archive names a folder. */
function folderNameOfArchive(name: string): string {
  return name.replace(/\.zip$/i, '');
}

/** Classifies bytes: an image to keep, or null for non-image files; throws for refused image types. */
async function isImage(bytes: Uint8Array, source: string): Promise<boolean> {
  if (sniffFormat(bytes) !== null) return true;
  try {
    await decodeImage(bytes);
    return true;
  } catch (err) {
    if (err instanceof AppError && err.code === 'undecodable') return false;
    if (err instanceof AppError) throw new InputError(err.code, `${source}: ${err.message}`, err.details);
    throw err;
  }
}

async function collectFile(bytes: Uint8Array, rel: string, source: string, out: FolderImage[]): Promise<void> {
  if (isZip(bytes)) {
    await collectZip(bytes, folderNameOfArchive(rel), source, out);
    return;
  }
  if (await isImage(bytes, source)) out.push({ identity: path.posix.dirname(rel), source, bytes });
}

async function collectZip(zipBytes: Uint8Array, prefix: string, source: string, out: FolderImage[]): Promise<void> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zipBytes);
  } catch (err) {
    throw new InputError('invalid_dataset', `${source}: not a readable zip archive (${(err as Error).message})`);
  }
  for (const [name, bytes] of Object.entries(files)) {
    if (name.endsWith('/') || name.split('/').some(isHidden)) continue;
    await collectFile(bytes, prefix === '' ? name : `${prefix}/${name}`, `${source}!${name}`, out);
  }
}

async function walk(dir: string, rel: string, out: FolderImage[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  for (const e of entries) {
    if (isHidden(e.name)) continue;
    const full = path.join(dir, e.name);
    const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) await walk(full, childRel, out);
    else if (e.isFile()) {
      await collectFile(new Uint8Array(await readFile(full)), childRel, childRel, out);
    }
  }
}

/**
 * Lists every image under `root` (a folder or a `.zip`) with its identity, sorted by identity then
 * source. Throws when an image sits directly in the root (it would have no identity) or none exist.
 */
export async function listFolderImages(root: string): Promise<FolderImage[]> {
  const info = await stat(root).catch(() => null);
  if (!info) throw new InputError('invalid_dataset', `expected a folder or .zip at ${root}, found nothing`);
  const out: FolderImage[] = [];
  if (info.isDirectory()) await walk(root, '', out);
  else {
    const bytes = new Uint8Array(await readFile(root));
    if (!isZip(bytes)) throw new InputError('invalid_dataset', `expected a folder or a .zip archive at ${root}, got another kind of file`);
    await collectZip(bytes, '', path.basename(root), out);
  }
  const loose = out.find((img) => img.identity === '.' || img.identity === '');
  if (loose) {
    throw new InputError('invalid_dataset', `images must sit in one folder per identity, but ${loose.source} is directly in the root of ${root}`);
  }
  if (out.length === 0) throw new InputError('invalid_dataset', `expected images in folders per identity under ${root}, found none`);
  const cmp = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
  return out.sort((a, b) => cmp(a.identity, b.identity) || cmp(a.source, b.source));
}

/**
 * Loads a folder-per-identity data set (folders, nested folders, `.zip` archives), preprocessing
 * every image with `spec`. `group` is the parent folder of the identity ("" at the top level).
 */
export async function loadFolderDataset(root: string, spec: PreprocessSpec): Promise<Dataset> {
  const files = await listFolderImages(root);
  const pixels = await mapLimit(files, 8, async (f) => {
    try {
      return await preprocessImage(await decodeImage(f.bytes), spec);
    } catch (err) {
      if (err instanceof AppError) throw new InputError(err.code, `${f.source}: ${err.message}`, err.details);
      throw err;
    }
  });
  const identities: IdentityImages[] = [];
  files.forEach((f, i) => {
    let last = identities[identities.length - 1];
    if (!last || last.identity !== f.identity) {
      const parent = path.posix.dirname(f.identity);
      last = { identity: f.identity, group: parent === '.' ? '' : parent, images: [] };
      identities.push(last);
    }
    last.images.push(pixels[i]);
  });
  return { name: path.basename(root).replace(/\.zip$/i, ''), spec, identities };
}
