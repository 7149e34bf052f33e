/**
 * On-disk cache of preprocessed data sets: `<key>.json` (identities and counts) + `<key>.f32`
 * (all images, concatenated Float32 little-endian). Keyed by a hash of the preprocessing code's version,
 * the source bytes and the spec, so a changed zip, spec or preprocessing never reads stale arrays.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvariantError } from '@/lib/errors';
import { PREPROCESS_VERSION } from '@/lib/imaging';
import type { Dataset } from './types';

interface CacheHeader {
  format: 1;
  name: string;
  spec: Dataset['spec'];
  imageLength: number;
  identities: { identity: string; group: string; count: number }[];
}

/** Cache key: sha256 over PREPROCESS_VERSION and the given parts (source bytes, spec JSON, options JSON), hex, 24 chars. */
export function datasetCacheKey(parts: readonly (Uint8Array | string)[]): string {
  const hash = createHash('sha256');
  for (const part of [PREPROCESS_VERSION, ...parts]) {
    hash.update(part);
    hash.update('\u0000');
  }
  return hash.digest('hex').slice(0, 24);
}

/** Reads a cached data set, or returns null when the key is not cached. */
export async function readDatasetCache(cacheDir: string, key: string): Promise<Dataset | null> {
  let headerText: string;
  let body: Buffer;
  try {
    headerText = await readFile(path.join(cacheDir, `${key}.json`), 'utf8');
    body = await readFile(path.join(cacheDir, `${key}.f32`));
  } catch {
    return null;
  }
  const header = JSON.parse(headerText) as CacheHeader;
  const total = header.identities.reduce((s, id) => s + id.count, 0);
  if (body.byteLength !== total * header.imageLength * 4) {
    throw new InvariantError(
      `dataset cache ${key} is corrupt: expected ${total * header.imageLength * 4} bytes, got ${body.byteLength}; delete ${cacheDir}`,
    );
  }
  // Copy into an aligned buffer: Buffer.byteOffset may not be a multiple of 4.
  const all = new Float32Array(total * header.imageLength);
  new Uint8Array(all.buffer).set(body);
  let offset = 0;
  const identities = header.identities.map(({ identity, group, count }) => {
    const images: Float32Array[] = [];
    for (let i = 0; i < count; i++) {
      images.push(all.subarray(offset, offset + header.imageLength));
      offset += header.imageLength;
    }
    return { identity, group, images };
  });
  return { name: header.name, spec: header.spec, identities };
}

/** Writes a data set to the cache (atomically: temp files, then rename). */
export async function writeDatasetCache(cacheDir: string, key: string, dataset: Dataset): Promise<void> {
  await mkdir(cacheDir, { recursive: true });
  const first = dataset.identities.find((id) => id.images.length > 0)?.images[0];
  const imageLength = first?.length ?? 0;
  const total = dataset.identities.reduce((s, id) => s + id.images.length, 0);
  const all = new Float32Array(total * imageLength);
  let offset = 0;
  for (const id of dataset.identities) {
    for (const img of id.images) {
      if (img.length !== imageLength) {
        throw new InvariantError(`dataset cache: expected images of length ${imageLength}, got ${img.length}`);
      }
      all.set(img, offset);
      offset += imageLength;
    }
  }
  const header: CacheHeader = {
    format: 1,
    name: dataset.name,
    spec: dataset.spec,
    imageLength,
    identities: dataset.identities.map((id) => ({ identity: id.identity, group: id.group, count: id.images.length })),
  };
  const base = path.join(cacheDir, key);
  const tmp = `.tmp-${process.pid}-${Date.now()}`;
  await writeFile(`${base}.f32${tmp}`, new Uint8Array(all.buffer));
  await writeFile(`${base}.json${tmp}`, JSON.stringify(header));
  await rename(`${base}.f32${tmp}`, `${base}.f32`);
  await rename(`${base}.json${tmp}`, `${base}.json`);
}

/**
 * A JSON cache file of a data root (folder or .zip): `<cacheDir>/<stem>-<what>-<key>.json`, and its
 * parsed contents when their `layout` and `key` match (else null: stale or absent).
 */
export async function readJsonCache<T extends { layout: string; key: string }>(root: string, what: string, layout: string, key: string, cacheDir = 'runs/cache'): Promise<{ file: string; existing: T | null }> {
  const stem = path.basename(root).replace(/\.zip$/i, '').replace(/[^A-Za-z0-9]+/g, '-');
  const file = path.join(cacheDir, `${stem}-${what}-${key}.json`);
  const existing = await readFile(file, 'utf8').then((t) => JSON.parse(t) as T).catch(() => null);
  return { file, existing: existing?.key === key && existing.layout === layout ? existing : null };
}

/** Writes a JSON cache file atomically (temp file, then rename). */
export async function writeJsonCache(file: string, value: object): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, JSON.stringify(value));
  await rename(`${file}.tmp`, file);
}
