/**
 * The evaluate commands end to end: load the pipeline, read the data, embed once, score, and
 * shape the JSON line (keys exactly as issue 3 lists them). Progress goes to `log` (stderr).
 */
import type { OpenSetTable } from '@/lib/calibration';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { listFolderImages } from '@/lib/datasets/folder';
import { InputError } from '@/lib/errors';
import { evaluateIdentify, type IdentifyResult } from './identify';
import { evaluateOneShot, readOneShotRuns } from './oneshot';
import { prepareAll, type EmbeddingPipeline } from './pipeline';

/** JSON line of `evaluate oneshot`. */
export interface OneShotJson {
  task: 'oneshot';
  trials: number;
  accuracy: number;
  model: string;
  backend: string;
  /** The pipeline's `runtime` (lib/evaluation/pipeline.ts). */
  runtime: string;
}

/** The figures `identify` reports for one embedding (definitions in lib/evaluation/identify.ts). */
export type IdentifyFigures = Pick<IdentifyResult, 'rank1' | 'tar' | 'far' | 'allRight' | 'auc' | 'eer' | 'threshold'>;

/** JSON line of `evaluate identify`. */
export interface IdentifyJson extends IdentifyFigures {
  task: 'identify';
  shots: number;
  /** With `--identities N`: enrolled identities per repeat. */
  identities?: number;
  queries: number;
  strangers: number;
  /** Images the pipeline refused (undecodable; for faces: no_face, face_too_small, low_score); each still counts as a missing shot, a wrong answer or a rejected stranger. */
  refused: number;
  model: string;
  backend: string;
  /** The pipeline's `runtime` (lib/evaluation/pipeline.ts). */
  runtime: string;
  /** With `--compare`: the same protocol (same draws) for each of the pipeline's baselines. */
  baselines?: BaselineJson[];
}

/** One baseline's figures under `--compare`. */
export interface BaselineJson extends IdentifyFigures {
  name: string;
  thresholdRule: string;
}

/** Scores Lake-layout one-shot runs in `folder` with `pipeline`. */
export async function runOneShot(folder: string, pipeline: EmbeddingPipeline, log: (msg: string) => void): Promise<OneShotJson> {
  const runs = await readOneShotRuns(folder);
  log(`oneshot: ${runs.length} runs, ${runs.reduce((s, r) => s + r.trials.length, 0)} trials in ${folder}`);
  const result = await evaluateOneShot(runs, async (paths) => {
    const items = await Promise.all(paths.map(async (p) => ({ source: p, bytes: new Uint8Array(await readFile(path.join(folder, p))) })));
    const { inputs, refused } = await prepareAll(pipeline, items);
    if (refused.length > 0) throw new InputError('invalid_dataset', `oneshot: every run image must be usable, but the pipeline refused ${refused.join(', ')}`);
    return pipeline.embed(inputs as Float32Array[]);
  });
  for (const r of result.perRun) log(`  ${r.run}: ${(100 * r.accuracy).toFixed(1)}%`);
  return { task: 'oneshot', trials: result.trials, accuracy: result.accuracy, model: pipeline.manifest.version, backend: pipeline.backend, runtime: pipeline.runtime };
}

/** Options of `runIdentify`. */
export interface RunIdentifyOptions {
  shots: number;
  seed: number;
  repeats: number;
  /** Enrolled identities per repeat (default all but the strangers). */
  identities?: number;
  /** Also score the pipeline's baselines. */
  compare?: boolean;
  /** The model's open-set table (its folder's, as the service reads it), or null. */
  openSetTable?: OpenSetTable | null;
}

/** Embeds the non-null inputs and regroups by identity, keeping null (refused) in place. */
async function embedByIdentity(
  inputs: readonly (Float32Array | null)[],
  groups: readonly number[],
  identities: number,
  embed: (xs: Float32Array[]) => Promise<Float32Array[]>,
): Promise<(Float32Array | null)[][]> {
  const kept = inputs.flatMap((x) => (x ? [x] : []));
  const embedded = await embed(kept);
  const out: (Float32Array | null)[][] = Array.from({ length: identities }, () => []);
  let j = 0;
  inputs.forEach((x, i) => out[groups[i]].push(x ? embedded[j++] : null));
  return out;
}

/** Runs the open-set identify protocol on a folder-per-identity root (folder or .zip). */
export async function runIdentify(root: string, pipeline: EmbeddingPipeline, opts: RunIdentifyOptions, log: (msg: string) => void): Promise<IdentifyJson> {
  const files = await listFolderImages(root);
  log(`identify: ${files.length} images in ${root}; preparing…`);
  const { inputs, refused } = await prepareAll(pipeline, files);
  if (refused.length > 0) log(`identify: refused ${refused.length} images: ${refused.slice(0, 10).join(', ')}${refused.length > 10 ? ', …' : ''}`);
  if (opts.compare && !pipeline.baselines?.length) {
    throw new InputError('invalid_args', `--compare: the ${pipeline.manifest.kind} pipeline has no baselines to compare with`);
  }
  // Identities in folder order; refused images stay as null (never dropped).
  const names: string[] = [];
  const slot = new Map<string, number>();
  const groups = files.map((f) => {
    if (!slot.has(f.identity)) slot.set(f.identity, names.push(f.identity) - 1);
    return slot.get(f.identity)!;
  });
  const t0 = Date.now();
  const byIdentity = await embedByIdentity(inputs, groups, names.length, (xs) => pipeline.embed(xs));
  log(`identify: embedded ${files.length - refused.length} images in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const protocol = { shots: opts.shots, seed: opts.seed, repeats: opts.repeats, identities: opts.identities, curve: pipeline.manifest.calibration.curve, openSetTable: opts.openSetTable ?? null };
  const r = evaluateIdentify(byIdentity, names, protocol);
  const figures = (x: IdentifyResult): IdentifyFigures => ({ rank1: x.rank1, tar: x.tar, far: x.far, allRight: x.allRight, auc: x.auc, eer: x.eer, threshold: x.threshold });
  const baselines: BaselineJson[] = [];
  for (const b of opts.compare ? (pipeline.baselines ?? []) : []) {
    const embedded = await embedByIdentity(inputs, groups, names.length, (xs) => b.embed(xs));
    const rule = 'distance' in b.threshold ? { fixedThreshold: b.threshold.distance } : { curve: b.threshold.curve, openSetTable: null };
    baselines.push({ name: b.name, thresholdRule: b.thresholdRule, ...figures(evaluateIdentify(embedded, names, { ...protocol, ...rule })) });
  }
  log(`identify: ${names.length} identities, ${r.enrolledIdentities} enrolled per repeat, ${opts.repeats} repeats`);
  return {
    task: 'identify',
    shots: r.shots,
    ...(opts.identities ? { identities: r.enrolledIdentities } : {}),
    ...figures(r),
    queries: r.queries,
    strangers: r.strangers,
    refused: refused.length,
    model: pipeline.manifest.version,
    backend: pipeline.backend,
    runtime: pipeline.runtime,
    ...(opts.compare ? { baselines } : {}),
  };
}

/** Writes the JSON object to `<dir>/<name>.json` (temp file, then rename); returns the path. */
export async function writeResult(dir: string, name: string, result: object): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  await writeFile(`${file}.tmp`, `${JSON.stringify(result)}\n`);
  await rename(`${file}.tmp`, file);
  return file;
}
