/**
 * `npm run evaluate -- <command> …` — measures a model with the service's own search and
 * decision code (issue 3). Logs go to stderr; the LAST line of stdout is one JSON object, which
 * is also written to `bench/results/`. Exit code 0, or 1 with the error message.
 *
 *   evaluate oneshot <folder> [--model <dir>]
 *   evaluate make-oneshot <out> [--seed 0] [--runs 20]
 *   evaluate identify <folder-per-identity | .zip> --shots K [--kind object|face] [--model <dir>] [--seed 0] [--repeats 5] [--identities N] [--compare]
 *   evaluate make-identify <out>
 *   evaluate make-heldout <out> --model <dir> --source <folder-per-identity>   # the identities the model never saw (photo models: grocery-store)
 *   evaluate openset <folder-per-identity | .zip> [--kind object|face] [--model <dir>] [--repeats 5] [--seed 0] [--sizes 5,20,100,all] [--shots 1,3,5] [--fars 1e-2,1e-3] [--policies model-curve-identities] [--measured]
 *     (prints the grid as a table on stdout before the JSON line)
 *   evaluate compare-openset <candidate openset JSON> --baseline <openset JSON> [--resamples 2000] [--seed 1] [--baselinePolicy <name> --policy <name>]
 *   evaluate verify <folder-per-identity | .zip> [--kind face] [--model <dir>] [--align box|dlib] [--flip|--no-flip] [--files <regex>] [--seed 0] [--impostorPairs 200000] [--repeats 5]
 *   evaluate make-cohort <omniglot zip | face folder-per-identity> [--kind object|face] [--model <dir>] [--perIdentity 4]
 *   evaluate make-openset-table <folder-per-identity holding the calibration identities> [--kind object|face] [--model <dir>] [--repeats 30] [--bound auto|always]
 *   evaluate detect <folder-per-identity | .zip> --kind face [--models <dir>,<dir>] [--purpose enroll|search] [--every N]
 *   evaluate detect <face folder-per-identity> --kind face --scenes N --backgrounds <folder> [--seed 0]   # composite scenes of several faces
 * Every knob is in `scripts/cli/evaluate-args.ts` (zod; unknown flags are errors; `--config file.json`).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { OMNIGLOT_SPLIT } from '@/lib/datasets/omniglot';
import { AppError } from '@/lib/errors';
import { parseEvaluateArgs } from './cli/evaluate-args';
import { makeHeldOutFolder, makeIdentifyFolder, makeOneShotRuns } from '@/lib/evaluation/make-protocols';

const RESULTS_DIR = 'bench/results';

/** A data set's name for result files: the folder or archive name, its parent's for a folder named `images`. */
function setName(folder: string): string {
  const abs = path.resolve(folder);
  const base = path.basename(abs).replace(/\.zip$/, '');
  return base === 'images' ? path.basename(path.dirname(abs)) : base;
}

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

async function main(): Promise<object> {
  // Libraries log with console.log/info (e.g. the TF backend choice): keep stdout for the JSON line.
  console.log = console.info = (...args: unknown[]) => console.error(...args);
  const args = parseEvaluateArgs(process.argv.slice(2));
  log(`evaluate ${args.command} ${JSON.stringify(args.config)}`);
  if (args.command === 'make-oneshot') {
    const c = args.config;
    const runs = await makeOneShotRuns(c.out, { zipPath: c.zip, seed: c.seed, runs: c.runs, alphabets: OMNIGLOT_SPLIT.heldOut });
    return { task: 'make-oneshot', out: c.out, runs: runs.length, alphabets: [...new Set(runs.map((r) => r.alphabet))].sort(), seed: c.seed };
  }
  if (args.command === 'make-identify') {
    const made = await makeIdentifyFolder(args.config.out, { zipPath: args.config.zip, alphabets: OMNIGLOT_SPLIT.heldOut });
    return { task: 'make-identify', out: args.config.out, ...made, alphabets: [...OMNIGLOT_SPLIT.heldOut] };
  }
  if (args.command === 'make-heldout') {
    const c = args.config;
    const { readManifest } = await import('@/lib/embedder/manifest');
    const manifest = await readManifest(c.model);
    const made = await makeHeldOutFolder(c.out, { source: c.source, seen: [...manifest.data.train, ...manifest.data.heldOut] });
    return { task: 'make-heldout', out: c.out, model: manifest.version, source: c.source, ...made };
  }
  if (args.command === 'compare-openset') {
    const c = args.config;
    const { compareOpenSet } = await import('@/lib/evaluation/openset-compare');
    const { writeResult } = await import('@/lib/evaluation/run');
    const read = async (file: string) => JSON.parse(await readFile(file, 'utf8'));
    const policies = c.policy === undefined ? undefined : { baseline: c.baselinePolicy!, candidate: c.policy };
    const result = compareOpenSet(await read(c.baseline), await read(c.candidate), { resamples: c.resamples, seed: c.seed, policies });
    for (const g of result.cells) {
      log(`${g.policy}${g.baselinePolicy === g.policy ? '' : ` vs ${g.baselinePolicy}`} size ${g.size} ${g.shots}-shot FAR ${g.targetFar}: TAR ${g.candidateTar.toFixed(3)} - ${g.baselineTar.toFixed(3)} = ${g.tarGain.value.toFixed(4)} [${g.tarGain.lo.toFixed(4)}, ${g.tarGain.hi.toFixed(4)}] (${g.identities} identities, ${g.genuineQueries} queries; FAR ${g.candidateFar.toFixed(4)} vs ${g.baselineFar.toFixed(4)})`);
    }
    const name = policies ? `compare-openset-${policies.candidate}-vs-${policies.baseline}-${setName(result.data)}-${result.candidate}` : `compare-openset-${result.candidate}-vs-${result.baseline}`;
    log(`wrote ${await writeResult(RESULTS_DIR, name, result)}`);
    return result;
  }
  if (args.command === 'verify') {
    const c = args.config;
    // Loaded lazily: TF.js takes seconds to import and the make-* commands do not need it.
    const [{ defaultModelDir }, { runVerify }, { writeResult }] = await Promise.all([import('@/lib/evaluation/pipeline'), import('@/lib/evaluation/verify'), import('@/lib/evaluation/run')]);
    const modelDir = c.model ?? (await defaultModelDir('face'));
    log(`model: ${modelDir}`);
    const result = await runVerify(c.folder, { modelDir, alignment: { method: c.align, flip: c.flip }, files: c.files, seed: c.seed, impostorPairs: c.impostorPairs, repeats: c.repeats }, log);
    for (const t of result.tarAtFar) log(`TAR at FAR ${t.targetFar}: ${t.tar.value.toFixed(3)} [${t.tar.lo.toFixed(3)}, ${t.tar.hi.toFixed(3)}] (${t.tar.n} genuine, ${result.impostorPairs} impostor pairs)`);
    log(`1-shot rank-1: ${result.rank1.value.toFixed(3)} [${result.rank1.lo.toFixed(3)}, ${result.rank1.hi.toFixed(3)}] (${result.rank1.n} queries)`);
    const stem = `${result.folder.replace(/\/+$/, '').split('/').pop()!.replace(/\.zip$/i, '')}${c.files ? `-${c.files.replace(/[^A-Za-z0-9]+/g, '')}` : ''}`;
    log(`wrote ${await writeResult(RESULTS_DIR, `verify-${stem}-${result.alignment.method}${result.alignment.flip ? '-flip' : ''}-${result.model}`, result)}`);
    return result;
  }
  if (args.command === 'detect') {
    const c = args.config;
    const { loadFaceModel } = await import('@/lib/faces');
    const { evaluateDetection } = await import('@/lib/evaluation/detection');
    const { writeResult } = await import('@/lib/evaluation/run');
    const dirs = c.models?.split(',') ?? (await readdir('models/face')).sort().map((v) => path.join('models/face', v));
    const loaded = await Promise.all(dirs.map((d) => loadFaceModel(d)));
    log(`face models: ${loaded.map((m) => `${m.manifest.version} (${m.config.detector})`).join(', ')}`);
    const detectors = loaded.map((m) => ({ detector: m.config.detector, thresholds: m.config.thresholds }));
    const models = loaded[loaded.length - 1].models;
    // The written JSON names the face models too: two models may share a detector name.
    const versions = loaded.map((m) => m.manifest.version);
    if (c.scenes > 0) {
      const { evaluateScenes } = await import('@/lib/evaluation/detect-scenes');
      const scenes = { ...(await evaluateScenes(c.folder, c.backgrounds!, detectors, { models, scenes: c.scenes, seed: c.seed, log })), models: versions };
      log(`wrote ${await writeResult(RESULTS_DIR, `detect-scenes-${setName(c.folder)}-${c.scenes}-seed${c.seed}-${detectors.map((d) => d.detector).join('-')}`, scenes)}`);
      return scenes;
    }
    const result = { ...(await evaluateDetection(c.folder, detectors, { models, purpose: c.purpose, every: c.every, log })), models: versions };
    log(`wrote ${await writeResult(RESULTS_DIR, `detect-${c.purpose}-${setName(c.folder)}${c.every > 1 ? `-every${c.every}` : ''}-${loaded.map((m) => m.config.detector).join('-')}`, result)}`);
    return result;
  }
  // Loaded lazily: TF.js takes seconds to import and the make-* commands do not need it.
  const { defaultModelDir, loadPipeline, registerPipeline } = await import('@/lib/evaluation/pipeline');
  if (args.config.kind === 'face') {
    // The faces issue's pipeline (detection, alignment, descriptor, head) plugs in here.
    const { loadFacePipeline } = await import('@/lib/faces/pipeline');
    registerPipeline('face', (dir) => loadFacePipeline(dir));
  }
  const { runIdentify, runOneShot, writeResult } = await import('@/lib/evaluation/run');
  const { formatOpenSetTable, runOpenSet } = await import('@/lib/evaluation/openset-run');
  const modelDir = args.config.model ?? (await defaultModelDir(args.config.kind));
  log(`model: ${modelDir}`);
  const pipeline = await loadPipeline(args.config.kind, modelDir);
  try {
    if (args.command === 'make-cohort') {
      const { makeCohort } = await import('@/lib/evaluation/make-cohort');
      const { meta, sha256, refused } = await makeCohort(pipeline, { modelDir, source: args.config.source, perIdentity: args.config.perIdentity }, log);
      if (refused.length > 0) log(`make-cohort: refused ${refused.length}: ${refused.slice(0, 10).join(', ')}${refused.length > 10 ? ', …' : ''}`);
      return { task: 'make-cohort', model: meta.modelVersion, count: meta.count, identities: meta.identities.length, refused: refused.length, source: meta.source, sha256 };
    }
    if (args.command === 'make-openset-table') {
      const { makeOpenSetTable } = await import('@/lib/evaluation/make-openset-table');
      return await makeOpenSetTable(pipeline, { modelDir, source: args.config.source, repeats: args.config.repeats, seed: args.config.seed, aggregate: args.config.aggregate, bound: args.config.bound }, log);
    }
    if (args.command === 'oneshot') {
      const result = await runOneShot(args.config.folder, pipeline, log);
      log(`wrote ${await writeResult(RESULTS_DIR, `oneshot-${pipeline.manifest.version}`, result)}`);
      return result;
    }
    if (args.command === 'openset') {
      const c = args.config;
      const result = await runOpenSet(c.folder, pipeline, { modelDir, sizes: c.sizes, shots: c.shots, fars: c.fars, policies: c.policies, measured: c.measured, repeats: c.repeats, seed: c.seed }, log);
      process.stdout.write(`${formatOpenSetTable(result)}\n`);
      const stem = path.basename(c.folder).replace(/\.zip$/i, '').replace(/[^A-Za-z0-9]+/g, '-');
      log(`wrote ${await writeResult(RESULTS_DIR, `openset-${stem}-${pipeline.manifest.version}`, result)}`);
      return result;
    }
    const c = args.config;
    const { readOpenSetTable } = await import('@/lib/embedder/open-set-table');
    const openSetTable = (await readOpenSetTable(modelDir, pipeline.manifest))?.table ?? null;
    const result = await runIdentify(c.folder, pipeline, { shots: c.shots, seed: c.seed, repeats: c.repeats, identities: c.identities, compare: c.compare, openSetTable }, log);
    // One file per K, so a model's 1-shot and 5-shot results do not overwrite each other.
    log(`wrote ${await writeResult(RESULTS_DIR, `identify-${c.shots}shot${c.identities ? `-${c.identities}ids` : ''}-${pipeline.manifest.version}`, result)}`);
    return result;
  } finally {
    pipeline.dispose();
  }
}

main().then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err: unknown) => {
    const code = err instanceof AppError ? `${err.code}: ` : '';
    process.stderr.write(`evaluate: ${code}${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
