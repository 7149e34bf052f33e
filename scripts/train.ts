/**
 * Trains an embedding tower and writes a versioned model folder (TF.js files, manifest.json with
 * thresholds, config.json, PNG plots).
 *
 *   npm run train                                   # = --preset quick (<= 5 min on wasm)
 *   npm run train -- --preset default --out models/object/<version>   # the committed model: 2 members, then merged
 *   npm run train -- --config my.json --epochs=30 --loss=contrastive --filters=32,64,64,64
 *   npm run train -- --resume runs/<runId>          # continues exactly after the last epoch
 *   npm run train -- --merge <modelA>,<modelB> --out models/object/<version>   # ensemble of towers trained apart
 *   npm run train -- --preset photo --out models/object/<version>       # the photo head (issue 19)
 *   npm run train -- --preset photo --raw --out models/object/<version> # the raw backbone feature as a model
 *
 * Every knob is in `trainConfigSchema` (lib/training/config.ts): defaults <- preset <- --config
 * file <- --key=value (or --key value) flags, read by scripts/cli/args.ts; unknown flags and keys
 * are errors. Checkpoints go to runs/<runId>/checkpoint/
 * after every epoch. Data sets: omniglot | fashion-mnist | folder:<path> | vectors:<file>
 * (labelled-vectors JSON, see lib/training/vector-dataset.ts). Progress goes to stderr; the last
 * stdout line is a JSON summary.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { InputError } from '@/lib/errors';
import { initTf, type BackendName } from '@/lib/embedder/backend';
import { readManifest, type ModelManifest } from '@/lib/embedder/manifest';
import { buildTower, mergeTowers } from '@/lib/embedder/tower';
import { loadLayersModel } from '@/lib/embedder/weights';
import { modelVersionName, writeModelFolder } from '@/lib/training/artifact';
import { PRESET_MEMBERS, PRESETS, resolveTrainConfig, trainConfigSchema, type PresetName, type TrainConfig } from '@/lib/training/config';
import { isImageDataset, loadTrainingData } from '@/lib/training/data';
import { ensembleMembers, ensembleTraining } from '@/lib/training/ensemble';
import { evaluateTower, trainEmbedding, type TrainCheckpoint, type TrainProgress, type TrainResult } from '@/lib/training/train';
import { overridesOf, parseCli } from './cli/args';
import { createProgressLine, drawBar, formatDuration } from './cli/progress';

/**
 * The command line: the flags that are not training knobs, then every knob of `trainConfigSchema`
 * as an override (only those given; defaults come from the preset in `resolveTrainConfig`).
 * `--config file.json` holds knobs too; the flags override it.
 */
const trainArgsSchema = z.strictObject({
  /** Preset the knobs start from (lib/training/config.ts). */
  preset: z.enum(Object.keys(PRESETS) as [PresetName, ...PresetName[]]).default('quick'),
  /** Run folder to continue after its last checkpointed epoch. */
  resume: z.string().min(1).optional(),
  /** Model folders to join into one ensemble. */
  merge: z.array(z.string().min(1)).min(1).optional(),
  /** Model folder to write (default: the run folder's model/). */
  out: z.string().min(1).optional(),
  /** Vector data sets: write the untrained identity tower (the raw vector, L2-normalised), calibrated on the held-out identities. */
  raw: z.boolean().default(false),
  ...overridesOf(trainConfigSchema.shape),
});

/** Training progress: epoch, step, loss, pairs/s, ETA, and the validation accuracy at each epoch's end. */
function createProgressBar(): (p: TrainProgress) => void {
  const show = createProgressLine();
  return (p) => {
    const val = p.valAccuracy !== undefined ? `  val ${(p.valAccuracy * 100).toFixed(1)}%` : '';
    const text = `epoch ${p.epoch}/${p.epochs} ${drawBar(p.step / p.stepsPerEpoch)} step ${p.step}/${p.stepsPerEpoch} loss ${p.loss.toFixed(4)} ${p.pairsPerSecond.toFixed(0)} pairs/s ETA ${formatDuration(p.etaSeconds)}`;
    show(`${text}${val}`, p.valAccuracy !== undefined);
  };
}

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await writeFile(`${file}.tmp`, data);
  await rename(`${file}.tmp`, file);
}

async function saveCheckpoint(runDir: string, c: TrainCheckpoint): Promise<void> {
  const dir = path.join(runDir, 'checkpoint');
  await mkdir(dir, { recursive: true });
  await writeAtomic(path.join(dir, 'weights.bin'), c.weights.data);
  await writeAtomic(path.join(dir, 'optimizer.bin'), c.optimizer.data);
  const { weights, optimizer, ...rest } = c;
  await writeAtomic(path.join(dir, 'state.json'), JSON.stringify({ ...rest, weightSpecs: weights.specs, optimizerSpecs: optimizer.specs }));
}

async function loadCheckpoint(runDir: string): Promise<TrainCheckpoint> {
  const dir = path.join(runDir, 'checkpoint');
  const state = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8'));
  const { weightSpecs, optimizerSpecs, ...rest } = state;
  return {
    ...rest,
    weights: { specs: weightSpecs, data: new Uint8Array(await readFile(path.join(dir, 'weights.bin'))) },
    optimizer: { specs: optimizerSpecs, data: new Uint8Array(await readFile(path.join(dir, 'optimizer.bin'))) },
  };
}

function printSummary(outDir: string, version: string, backend: string, result: TrainResult, manifest: ModelManifest): void {
  const t = result.calibration.thresholds;
  process.stderr.write(`[train] wrote ${outDir} (version ${version})\n`);
  console.log(JSON.stringify({ model: outDir, version, backend, metrics: result.metrics, thresholds: { maxBalancedAccuracy: t.maxBalancedAccuracy.distance, far1e2: t.far1e2.distance, far1e3: t.far1e3.distance }, pairsPerSecond: manifest.pairsPerSecond, trainingSeconds: manifest.trainingSeconds }));
}

/**
 * `--merge a,b`: joins towers trained apart into one ensemble, calibrated on their common held-out
 * identities. The only knob it takes is `--testShifts` (the rest are the largest-input member's).
 */
async function merge(dirs: readonly string[], out: string | undefined, overrides: Record<string, unknown>): Promise<void> {
  const extra = Object.keys(overrides).filter((k) => k !== 'testShifts');
  if (extra.length > 0) throw new InputError('invalid_config', `--merge takes --testShifts only, not --${extra.join(', --')}`);
  const manifests = await Promise.all(dirs.map((d) => readManifest(d)));
  const { specs, largest } = ensembleMembers(manifests);
  const config = resolveTrainConfig('quick', manifests[largest].config, overrides);
  const { tf } = await initTf('auto');
  const members = await Promise.all(dirs.map(async (d, i) => ({ model: await loadLayersModel(tf, d), spec: specs[i] })));
  const { model, spec } = mergeTowers(tf, members);
  members.forEach((m) => m.model.dispose());
  const tower = { ...spec, ...(config.testShifts ? { testShifts: true } : {}) };
  const split = await loadTrainingData(config);
  process.stderr.write(`[train] merging ${manifests.map((m) => m.version).join(' + ')}; calibrating on ${split.validation.identities.length} held-out identities\n`);
  const result: TrainResult = { model, tower, ...(await evaluateTower(tf, model, tower, split.validation, config)), ...ensembleTraining(manifests) };
  const createdAt = new Date().toISOString();
  const version = modelVersionName(`${config.dataset.split(':')[0]}-ensemble`, config, createdAt);
  const outDir = out ?? path.join('runs', version, 'model');
  const backend = manifests[0].backend as BackendName;
  const manifest = await writeModelFolder(outDir, { config, result, data: split, backend, version, createdAt });
  model.dispose();
  printSummary(outDir, version, backend, result, manifest);
}

/**
 * `--raw`: the data set's vectors themselves as a model (embedding = v / ||v||), on the same split
 * and calibration as a trained head, so `npm run evaluate` can set the head against its input.
 */
async function writeRaw(config: TrainConfig, out: string | undefined): Promise<void> {
  const { tf, backend } = await initTf(config.backend);
  const split = await loadTrainingData(config, (m) => process.stderr.write(`[train] ${m}\n`));
  const spec = split.train.spec;
  if (!('type' in spec)) throw new InputError('invalid_config', `--raw needs a vector or photo data set, got images (${config.dataset})`);
  const tower = { type: 'mlp' as const, inputDim: spec.dim, hidden: [], embeddingDim: spec.dim, identity: true as const };
  const model = buildTower(tf, tower, config.seed);
  const result: TrainResult = { model, tower, ...(await evaluateTower(tf, model, tower, split.validation, config)), lossHistory: [], pairsPerSecond: 0, trainingSeconds: 0 };
  const createdAt = new Date().toISOString();
  const version = modelVersionName(`${config.dataset.split(':')[0]}-raw`, config, createdAt);
  const outDir = out ?? path.join('runs', version, 'model');
  const manifest = await writeModelFolder(outDir, { config, result, data: split, backend, version, createdAt });
  model.dispose();
  printSummary(outDir, version, backend, result, manifest);
}

/** Trains one run (fresh, or resumed from `resume` in `runDir`) and writes its model folder; returns the folder. */
async function trainRun(config: TrainConfig, runDir: string, resume: TrainCheckpoint | undefined, out: string | undefined): Promise<string> {
  await mkdir(runDir, { recursive: true });
  await writeFile(path.join(runDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  process.stderr.write(`[train] run ${runDir}${resume ? ` (resuming after epoch ${resume.epoch})` : ''}\n[train] config ${JSON.stringify(config)}\n`);

  const { tf, backend } = await initTf(config.backend, { onednn: isImageDataset(config.dataset) });
  const loadStart = Date.now();
  const split = await loadTrainingData(config, (m) => process.stderr.write(`[train] ${m}\n`));
  process.stderr.write(`[train] data: ${split.train.identities.length} train / ${split.validation.identities.length} held-out identities, loaded in ${((Date.now() - loadStart) / 1000).toFixed(1)} s\n`);

  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const result = await trainEmbedding({
    tf, config, train: split.train, validation: split.validation, resume, signal: controller.signal,
    onProgress: createProgressBar(),
    onCheckpoint: (c) => saveCheckpoint(runDir, c),
  });

  const createdAt = new Date().toISOString();
  const version = modelVersionName(config.dataset.split(':')[0], config, createdAt);
  const outDir = out ?? path.join(runDir, 'model');
  const manifest = await writeModelFolder(outDir, { config, result, data: split, backend, version, createdAt });
  result.model.dispose();
  printSummary(outDir, version, backend, result, manifest);
  return outDir;
}

function newRunDir(config: TrainConfig): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return path.join('runs', `${config.dataset.replace(/[^A-Za-z0-9]+/g, '_').slice(0, 24)}-${stamp}-s${config.seed}`);
}

async function main(): Promise<void> {
  const { preset, resume, merge: mergeDirs, out, raw, ...overrides } = parseCli(process.argv.slice(2), { schema: trainArgsSchema, configFile: true });
  if (mergeDirs) return merge(mergeDirs, out, overrides);
  if (raw) return writeRaw(resolveTrainConfig(preset, overrides), out);
  if (resume) {
    const saved = JSON.parse(await readFile(path.join(resume, 'config.json'), 'utf8'));
    await trainRun(resolveTrainConfig('quick', saved, overrides), resume, await loadCheckpoint(resume), out);
    return;
  }
  const members = PRESET_MEMBERS[preset];
  if (!members) {
    const config = resolveTrainConfig(preset, overrides);
    await trainRun(config, newRunDir(config), undefined, out);
    return;
  }
  // An ensemble preset: each member is its own run (an interrupted one continues with --resume,
  // then --merge joins the member folders), then the members are joined.
  const dirs: string[] = [];
  for (const [i, member] of members.entries()) {
    process.stderr.write(`[train] member ${i + 1} of ${members.length}\n`);
    const config = resolveTrainConfig(preset, member, overrides);
    dirs.push(await trainRun(config, newRunDir(config), undefined, undefined));
  }
  await merge(dirs, out, {});
}

main().catch((e: unknown) => {
  process.stderr.write(`[train] error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
