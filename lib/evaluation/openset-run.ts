/**
 * `evaluate openset` end to end: embed the data once (cached), keep the identities the model was
 * trained or calibrated on out of gallery and strangers, run the grid (./openset.ts) for each
 * policy, and shape the JSON and the table.
 */
import { createPolicy } from '@/lib/calibration';
import { readCohort } from '@/lib/embedder/cohort';
import { readOpenSetTable } from '@/lib/embedder/open-set-table';
import type { EmbeddingPipeline } from './pipeline';
import { embedFolder } from './embedding-cache';
import { evaluateOpenSet, type GallerySize, type OpenSetCell, type OpenSetIdentity, type UnavailableCell } from './openset';

/** Options of `runOpenSet`. */
export interface RunOpenSetOptions {
  /** The model's folder (policy factories read files shipped with it). */
  modelDir: string;
  sizes: readonly GallerySize[];
  shots: readonly number[];
  fars: readonly number[];
  policies: readonly string[];
  /** Also the `<policy>@measured` cells (./openset.ts). */
  measured?: boolean;
  repeats: number;
  seed: number;
  /** Embedding cache folder (default runs/cache). */
  cacheDir?: string;
}

/** JSON of `evaluate openset`. */
export interface OpenSetJson {
  task: 'openset';
  data: string;
  model: string;
  backend: string;
  /** The pipeline's `runtime` (absent from results written before it was recorded). */
  runtime?: string;
  repeats: number;
  seed: number;
  strangerShare: number;
  /** Identities and images evaluated (after exclusions). */
  identities: number;
  images: number;
  /** Images the pipeline refused, over the whole data set. */
  refused: number;
  /** Identities left out because the model was trained or calibrated on them (or a policy's cohort came from them). */
  excludedIdentities: number;
  /** Set when EVERY identity of the data was used by the model: nothing could be held out, so the figures are in-domain. */
  calibrationOverlap: string | null;
  cacheFile: string;
  cells: (OpenSetCell | UnavailableCell)[];
}

const STRANGER_SHARE = 1 / 3;

/** True when `name` is `reserved` or inside it (`Bengali` covers `Bengali/character01`). */
export function reservedBy(name: string, reserved: readonly string[]): boolean {
  return reserved.some((r) => name === r || name.startsWith(`${r}/`));
}

/** Runs the open-set grid on a folder-per-identity root (folder or .zip). */
export async function runOpenSet(root: string, pipeline: EmbeddingPipeline, opts: RunOpenSetOptions, log: (msg: string) => void): Promise<OpenSetJson> {
  const { manifest } = pipeline;
  const shipped = await readCohort(opts.modelDir, manifest);
  const cohort = shipped?.cohort ?? null;
  const openSetTable = (await readOpenSetTable(opts.modelDir, manifest))?.table ?? null;
  const policies = opts.policies.map((name) => createPolicy(name, { dir: opts.modelDir, kind: manifest.kind, calibration: manifest.calibration, cohort, openSetTable }));
  const { images, refused, cacheFile } = await embedFolder(root, pipeline, { cacheDir: opts.cacheDir, log });
  const byName = new Map<string, (Float32Array | null)[]>();
  for (const i of images) byName.set(i.identity, [...(byName.get(i.identity) ?? []), i.embedding]);
  const all: OpenSetIdentity[] = [...byName].map(([name, imgs]) => ({ name, images: imgs }));
  const reserved = [...manifest.data.train, ...manifest.data.heldOut, ...(shipped?.meta.identities ?? []), ...policies.flatMap((p) => p.reservedIdentities ?? [])];
  const kept = all.filter((i) => !reservedBy(i.name, reserved));
  let calibrationOverlap: string | null = null;
  let identities = kept;
  if (kept.length === 0) {
    calibrationOverlap = `every identity of ${root} is among those model ${manifest.version} was trained or calibrated on (${manifest.data.source}): nothing is held out, so these figures are in-domain, not on unseen identities`;
    identities = all;
    log(`openset: WARNING: ${calibrationOverlap}`);
  } else if (kept.length < all.length) {
    log(`openset: left out ${all.length - kept.length} identities the model was trained or calibrated on`);
  }
  log(`openset: ${identities.length} identities, ${opts.repeats} repeats, seed ${opts.seed}; running the grid…`);
  const t0 = Date.now();
  const onRepeat = (done: number, of: number) => log(`openset: repeat ${done}/${of} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  const cells = evaluateOpenSet(identities, { ...opts, strangerShare: STRANGER_SHARE, policies, onRepeat });
  log(`openset: grid in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return {
    task: 'openset',
    data: root,
    model: manifest.version,
    backend: pipeline.backend,
    runtime: pipeline.runtime,
    repeats: opts.repeats,
    seed: opts.seed,
    strangerShare: STRANGER_SHARE,
    identities: identities.length,
    images: identities.reduce((s, i) => s + i.images.length, 0),
    refused: refused.length,
    excludedIdentities: all.length - identities.length,
    calibrationOverlap,
    cacheFile,
    cells,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** The grid as a text table: one row per cell; `!` marks FAR > 1.5 × target, `judged` needs >= 3/target stranger queries; `over repeats` is the FAR's interval over repeats. */
export function formatOpenSetTable(result: OpenSetJson): string {
  const head = ['policy', 'size', 'shots', 'target', 'FAR [95%]', 'over repeats', 'strangers', 'FAR/tgt', 'judged', 'TAR', 'misid', 'rank1', 'refused', 'threshold', 'source'];
  const rows = result.cells.map((c) => {
    const id = [c.policy, String(c.size), String(c.shots), String(c.targetFar)];
    if ('unavailable' in c) return [...id, `— ${c.unavailable}`];
    const sources = Object.entries(c.sources).map(([s, n]) => `${s}×${n}`).join(' ');
    return [
      ...id,
      `${pct(c.far.value)} [${pct(c.far.lo)}, ${pct(c.far.hi)}]${c.over ? ' !' : ''}`,
      `[${pct(c.farOverRepeats.lo)}, ${pct(c.farOverRepeats.hi)}]`,
      `${c.far.k}/${c.far.n}`,
      c.farOverTarget.toFixed(2),
      c.judged ? 'yes' : 'no',
      `${c.tar.value.toFixed(3)} (n ${c.tar.n})`,
      c.misidentified.value.toFixed(3),
      c.rank1.value.toFixed(3),
      pct(c.refused.share),
      c.threshold.mean.toFixed(3),
      sources,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r.length > i + 1 || i < 4 ? (r[i] ?? '').length : 0))));
  const line = (r: string[]) => (r.length === head.length ? r.map((x, i) => x.padEnd(widths[i])).join('  ') : [...r.slice(0, 4).map((x, i) => x.padEnd(widths[i])), r[4]].join('  '));
  const notes = [
    `${result.data}: ${result.identities} identities, ${result.images} images (${result.refused} refused), ${result.excludedIdentities} left out; model ${result.model}; ${result.repeats} repeats, seed ${result.seed}, strangers ${pct(result.strangerShare)} of identities`,
    ...(result.calibrationOverlap ? [`WARNING: ${result.calibrationOverlap}`] : []),
  ];
  return [...notes, line(head), ...rows.map(line)].join('\n');
}
