/**
 * `evaluate make-cohort` (issue 18): embeds a model's score-normalisation cohort through the real
 * pipeline and ships it in the model folder (lib/embedder/cohort.ts). Rerun it whenever the pipeline
 * changes (e.g. a new face detector): the embeddings must be the ones the service computes.
 *
 * - object: the training alphabets' characters (manifest `data.train`), drawers 1..perIdentity.
 * - face: a FIXED half of a folder-per-identity set (CFP): identity names sorted, even positions,
 *   the first perIdentity images of each by file name. The other half, and ORL (the face model's
 *   calibration set), stay unseen; `cohort.json` lists the identities so evaluations leave them out.
 */
import { readFile } from 'node:fs/promises';
import { listFolderImages } from '@/lib/datasets/folder';
import { readOmniglotEntries } from '@/lib/datasets/omniglot';
import { writeCohort, type CohortMeta } from '@/lib/embedder/cohort';
import { InputError } from '@/lib/errors';
import { prepareAll, type EmbeddingPipeline } from './pipeline';

/** Options of `makeCohort`. */
export interface MakeCohortOptions {
  /** Model folder the cohort is written into. */
  modelDir: string;
  /** Object: the Omniglot background zip. Face: the folder-per-identity root (CFP). */
  source: string;
  /** Images per identity. */
  perIdentity: number;
}

/** The cohort's images: identity, source and bytes, in a fixed order. */
async function cohortImages(pipeline: EmbeddingPipeline, opts: MakeCohortOptions): Promise<{ identity: string; source: string; bytes: Uint8Array }[]> {
  const manifest = pipeline.manifest;
  if (manifest.kind === 'object') {
    if (manifest.data.train.length === 0) throw new InputError('invalid_model', `${manifest.version} names no training alphabets (manifest data.train) to draw a cohort from`);
    const entries = readOmniglotEntries(new Uint8Array(await readFile(opts.source)), manifest.data.train).filter((e) => e.drawer <= opts.perIdentity);
    return entries.map((e) => ({ identity: `${e.alphabet}/${e.character}`, source: e.path, bytes: e.bytes }));
  }
  const files = await listFolderImages(opts.source);
  const names = [...new Set(files.map((f) => f.identity))].sort();
  const half = new Set(names.filter((_, i) => i % 2 === 0));
  const taken = new Map<string, number>();
  return files
    .filter((f) => half.has(f.identity))
    .sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0))
    .filter((f) => {
      const n = taken.get(f.identity) ?? 0;
      taken.set(f.identity, n + 1);
      return n < opts.perIdentity;
    });
}

/** Embeds and writes the cohort of the pipeline's model; returns `cohort.json` and the refused images. */
export async function makeCohort(pipeline: EmbeddingPipeline, opts: MakeCohortOptions, log: (msg: string) => void): Promise<{ meta: CohortMeta; sha256: string; refused: string[] }> {
  const items = await cohortImages(pipeline, opts);
  log(`make-cohort: ${items.length} images of ${new Set(items.map((i) => i.identity)).size} identities from ${opts.source}; preparing…`);
  const { inputs, refused } = await prepareAll(pipeline, items);
  const kept = items.flatMap((item, i) => (inputs[i] ? [{ identity: item.identity, input: inputs[i] }] : []));
  const vectors = await pipeline.embed(kept.map((k) => k.input));
  const source = `${opts.source}, ${pipeline.manifest.kind === 'object' ? 'training alphabets (manifest data.train)' : 'identities at even positions of the sorted names'}, ${opts.perIdentity} images each, ${refused.length} refused`;
  const { ref, meta } = await writeCohort(opts.modelDir, kept.map((k, i) => ({ identity: k.identity, vector: vectors[i] })), source);
  return { meta, sha256: ref.sha256, refused };
}
