/**
 * Embeddings of a folder-per-identity data set, computed once and cached as JSON under `cacheDir`
 * (default runs/cache), keyed by the data's paths and bytes, the model version and the pipeline's
 * `runtime` and `prepareKey`: a rerun of an evaluation on the same data and model reads them back in seconds.
 */
import { createHash } from 'node:crypto';
import { readJsonCache, writeJsonCache } from '@/lib/datasets/cache';
import { listFolderImages } from '@/lib/datasets/folder';
import { prepareAll, type EmbeddingPipeline } from './pipeline';

/** Bump when the file layout changes: old caches are then ignored. */
const CACHE_LAYOUT = 'evaluation-embeddings-v1';

/** One image of the data set: its identity and embedding (null when refused). */
export interface EmbeddedImage {
  identity: string;
  source: string;
  embedding: Float32Array | null;
}

interface CacheFile {
  layout: string;
  key: string;
  root: string;
  model: string;
  images: { identity: string; source: string; embedding: number[] | null }[];
}

/** Embeds every image under `root` (folder or .zip) with `pipeline`, reading the cache when present; `refused` lists refused sources. */
export async function embedFolder(
  root: string,
  pipeline: EmbeddingPipeline,
  opts: { cacheDir?: string; log: (msg: string) => void },
): Promise<{ images: EmbeddedImage[]; refused: string[]; cacheFile: string; cached: boolean }> {
  const files = await listFolderImages(root);
  const hash = createHash('sha256').update(JSON.stringify([CACHE_LAYOUT, pipeline.manifest.version, pipeline.runtime, pipeline.prepareKey]));
  for (const f of files) hash.update(f.source).update(f.bytes);
  const key = hash.digest('hex').slice(0, 16);
  const { file: cacheFile, existing } = await readJsonCache<CacheFile>(root, 'embeddings', CACHE_LAYOUT, key, opts.cacheDir);
  if (existing) {
    opts.log(`embeddings: ${existing.images.length} images from ${cacheFile}`);
    const images = existing.images.map((i) => ({ ...i, embedding: i.embedding && Float32Array.from(i.embedding) }));
    return { images, refused: images.filter((i) => !i.embedding).map((i) => i.source), cacheFile, cached: true };
  }
  opts.log(`embeddings: ${files.length} images in ${root}; preparing…`);
  const t0 = Date.now();
  const { inputs, refused } = await prepareAll(pipeline, files, (done, total) => {
    if (done % 250 === 0 || done === total) opts.log(`embeddings: prepared ${done}/${total} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  });
  const embedded = await pipeline.embed(inputs.flatMap((x) => (x ? [x] : [])));
  let j = 0;
  const images = files.map((f, i) => ({ identity: f.identity, source: f.source, embedding: inputs[i] ? embedded[j++] : null }));
  opts.log(`embeddings: ${files.length - refused.length} embedded, ${refused.length} refused, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const file: CacheFile = { layout: CACHE_LAYOUT, key, root, model: pipeline.manifest.version, images: images.map((i) => ({ ...i, embedding: i.embedding && Array.from(i.embedding) })) };
  await writeJsonCache(cacheFile, file);
  return { images, refused, cacheFile, cached: false };
}
