/**
 * Backbone features of photos, cached per image and per backbone (issue 19): one file
 * `<cacheDir>/photo-features/<backbone id>-<preprocess hash>/<sha256 of the image bytes>.f32`
 * (`dim` float32, little-endian). Training, evaluation and a retrain read the same files, and the
 * service's enrolment writes them (`cacheFeatures`, with the features its worker computed), so the
 * backbone runs once per unchanged image; a changed backbone, preprocessing spec or
 * `PREPROCESS_VERSION` is a new folder, never a stale read.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvariantError } from '@/lib/errors';
import type { Dataset } from '@/lib/datasets/types';
import { listFolderImages } from '@/lib/datasets/folder';
import { decodeImage, preprocessImage, PREPROCESS_VERSION } from '@/lib/imaging';
import type { LoadedBackbone, PhotoBackbone } from '@/lib/embedder/photo-backbone';

/** Images decoded and run through the backbone per batch (bounds the memory of decoded inputs). */
const BATCH = 16;

/** The cache folder of one backbone and preprocessing. */
export function featureCacheDir(cacheDir: string, backbone: PhotoBackbone): string {
  const prep = createHash('sha256').update(JSON.stringify([PREPROCESS_VERSION, backbone.preprocess])).digest('hex').slice(0, 8);
  return path.join(cacheDir, 'photo-features', `${backbone.id}-${prep}`);
}

/** The cache file of an image's feature, by the sha256 (hex) of its bytes. */
function featureFile(dir: string, sha256: string): string {
  return path.join(dir, sha256.slice(0, 2), `${sha256}.f32`);
}

async function readFeature(file: string, dim: number): Promise<Float32Array | null> {
  const bytes = await readFile(file).catch(() => null);
  if (!bytes) return null;
  if (bytes.byteLength !== dim * 4) throw new InvariantError(`feature cache file ${file}: expected ${dim * 4} bytes, got ${bytes.byteLength}; delete it`);
  const out = new Float32Array(dim);
  new Uint8Array(out.buffer).set(bytes); // an aligned copy: a Buffer's byteOffset may not be a multiple of 4
  return out;
}

async function writeFeature(file: string, feature: Float32Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, new Uint8Array(feature.buffer, feature.byteOffset, feature.byteLength));
  await rename(tmp, file);
}

/**
 * Backbone features of `images` (encoded bytes), in order: read from the cache where present, the
 * rest decoded, preprocessed with the backbone's spec, run through it and written to the cache.
 * Returns the features and how many the backbone computed.
 */
export async function photoFeatures(
  loaded: LoadedBackbone,
  images: readonly Uint8Array[],
  opts: { cacheDir: string; log?: (msg: string) => void },
): Promise<{ features: Float32Array[]; computed: number }> {
  const { backbone } = loaded;
  const dir = featureCacheDir(opts.cacheDir, backbone);
  const files = images.map((bytes) => featureFile(dir, createHash('sha256').update(bytes).digest('hex')));
  const features = await Promise.all(files.map((f) => readFeature(f, backbone.dim)));
  const missing = features.flatMap((f, i) => (f ? [] : [i]));
  const t0 = Date.now();
  for (let start = 0; start < missing.length; start += BATCH) {
    const batch = missing.slice(start, start + BATCH);
    const inputs = await Promise.all(batch.map(async (i) => preprocessImage(await decodeImage(images[i]), backbone.preprocess)));
    const out = await loaded.features(inputs);
    await Promise.all(batch.map(async (i, k) => {
      features[i] = out[k];
      await writeFeature(files[i], out[k]);
    }));
    const done = start + batch.length;
    if (Math.floor(done / 128) > Math.floor(start / 128) || done === missing.length) {
      opts.log?.(`backbone features: ${done}/${missing.length} computed (${((Date.now() - t0) / done).toFixed(0)} ms/image), ${images.length - missing.length} cached`);
    }
  }
  return { features: features as Float32Array[], computed: missing.length };
}

/**
 * Writes features computed elsewhere (the service's embedding worker at enrolment) into the cache,
 * by the sha256 (hex) of each image's bytes. Each must be the backbone's `dim` long.
 */
export async function cacheFeatures(cacheDir: string, backbone: PhotoBackbone, entries: readonly { sha256: string; feature: Float32Array }[]): Promise<void> {
  const dir = featureCacheDir(cacheDir, backbone);
  for (const e of entries) {
    if (e.feature.length !== backbone.dim) throw new InvariantError(`a ${backbone.id} feature has ${backbone.dim} values, got ${e.feature.length}`);
    await writeFeature(featureFile(dir, e.sha256), e.feature);
  }
}

/**
 * A folder-per-identity photo set (folder or .zip) as a vector data set of backbone features, of
 * only the identities in `opts.identities` when given; `opts.onComputed` hears how many features
 * the backbone computed (the rest came from the cache).
 */
export async function loadPhotoDataset(
  root: string,
  loaded: LoadedBackbone,
  opts: { cacheDir: string; identities?: ReadonlySet<string>; onComputed?: (computed: number, total: number) => void; log?: (msg: string) => void },
): Promise<Dataset> {
  const files = (await listFolderImages(root)).filter((f) => !opts.identities || opts.identities.has(f.identity));
  const { features, computed } = await photoFeatures(loaded, files.map((f) => f.bytes), opts);
  opts.onComputed?.(computed, files.length);
  const byIdentity = new Map<string, Float32Array[]>();
  files.forEach((f, i) => {
    if (!byIdentity.has(f.identity)) byIdentity.set(f.identity, []);
    byIdentity.get(f.identity)!.push(features[i]);
  });
  return {
    name: `photos:${root} (${loaded.backbone.id})`,
    spec: { type: 'vector', dim: loaded.backbone.dim },
    identities: [...byIdentity].map(([identity, images]) => ({ identity, group: '', images })),
  };
}
