/**
 * Trains an embedding tower and writes a versioned model folder (TF.js files, manifest.json with
 * thresholds, config.json, PNG plots).
 *
 *   npm run train                                   # = --preset quick (<= 5 min on wasm)
 *   npm run train -- --preset default --out models/object/<version>
 *   npm run train -- --config my.json --epochs=30 --loss=contrastive --filters=32,64,64,64
 *   npm run train -- --resume runs/<runId>          # continues exactly after the last epoch
 *
 * Every knob is in `trainConfigSchema` (lib/training/config.ts): defaults <- preset <- --config
 * file <- --key=value flags; unknown keys are errors. Checkpoints go to runs/<runId>/checkpoint/
 * after every epoch. Data sets: omniglot | fashion-mnist | folder:<path> | vectors:<file>
 * (labelled-vectors JSON, see lib/training/vector-dataset.ts). Progress goes to stderr; the last
 * stdout line is a JSON summary.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '@/lib/errors';
import type { Dataset } from '@/lib/datasets/types';
import { initTf } from '@/lib/embedder/backend';
import type { ModelManifest } from '@/lib/embedder/manifest';
import { saveModel } from '@/lib/embedder/weights';
import { svgToPng, type PreprocessSpec } from '@/lib/imaging';
import { histogramSvg, lineChartSvg } from '@/lib/plots';
import { rocCurve } from '@/lib/training/calibration';
import { resolveTrainConfig, trainConfigSchema, type PresetName, type TrainConfig } from '@/lib/training/config';
import { createRng } from '@/lib/training/rng';
import { trainEmbedding, type TrainCheckpoint, type TrainProgress, type TrainResult } from '@/lib/training/train';
import { loadVectorDataset } from '@/lib/training/vector-dataset';
import { createProgressLine, drawBar, formatDuration } from './cli/progress';

/** CLI flags that are not training knobs. */
interface CliArgs {
  preset: PresetName;
  configFile?: string;
  resume?: string;
  out?: string;
  overrides: Record<string, unknown>;
}

function parseValue(raw: string): unknown {
  if (/^-?[\d.e+-]+(,-?[\d.e+-]+)+$/i.test(raw)) return raw.split(',').map(Number);
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { preset: 'quick', overrides: {} };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([A-Za-z0-9]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new InputError('invalid_config', `unexpected argument ${argv[i]}; use --key=value`);
    const [, key, inline] = m;
    const value = () => inline ?? argv[++i] ?? '';
    if (key === 'preset') {
      const p = value();
      if (p !== 'quick' && p !== 'default') throw new InputError('invalid_config', `--preset must be quick or default, got ${p}`);
      args.preset = p;
    } else if (key === 'config') args.configFile = value();
    else if (key === 'resume') args.resume = value();
    else if (key === 'out') args.out = value();
    else {
      if (!(key in trainConfigSchema.shape)) {
        throw new InputError('invalid_config', `unknown option --${key}; known: ${Object.keys(trainConfigSchema.shape).join(', ')}, preset, config, resume, out`);
      }
      if (inline === undefined) throw new InputError('invalid_config', `write --${key}=<value>`);
      args.overrides[key] = parseValue(inline);
    }
  }
  return args;
}

/** Train / held-out data sets and the names the manifest lists. */
interface Split {
  train: Dataset;
  validation: Dataset;
  source: string;
  trainNames: string[];
  heldOutNames: string[];
}

function splitIdentities(ds: Dataset, share: number, seed: number): Split {
  const order = createRng(seed + 31).shuffle(ds.identities.map((_, i) => i));
  const nHeld = Math.max(2, Math.round(ds.identities.length * share));
  const held = new Set(order.slice(0, nHeld));
  const pick = (inHeld: boolean) => ds.identities.filter((_, i) => held.has(i) === inHeld);
  const train = { ...ds, identities: pick(false) };
  const validation = { ...ds, identities: pick(true) };
  return { train, validation, source: ds.name, trainNames: train.identities.map((i) => i.identity), heldOutNames: validation.identities.map((i) => i.identity) };
}

async function loadSplit(config: TrainConfig): Promise<Split> {
  const spec: PreprocessSpec = { inputSizePx: config.inputSizePx, channels: 1, invert: true, fit: 'fill' };
  const { dataset } = config;
  if (dataset === 'omniglot') {
    const { loadOmniglot, OMNIGLOT_SPLIT } = await import('@/lib/datasets/omniglot');
    const zipPath = path.join(config.dataDir, 'omniglot-background', 'images_background.zip');
    const train = await loadOmniglot({ zipPath, spec, alphabets: OMNIGLOT_SPLIT.train, cacheDir: config.cacheDir });
    const validation = await loadOmniglot({ zipPath, spec, alphabets: OMNIGLOT_SPLIT.heldOut, cacheDir: config.cacheDir });
    return { train, validation, source: `omniglot-background (${zipPath})`, trainNames: [...OMNIGLOT_SPLIT.train], heldOutNames: [...OMNIGLOT_SPLIT.heldOut] };
  }
  if (dataset === 'fashion-mnist') {
    // Split by class: 7 classes train, 3 held out (each class is an identity).
    const { loadFashionMnist, FASHION_MNIST_CLASSES } = await import('@/lib/datasets/fashion-mnist');
    const fashionSpec: PreprocessSpec = { ...spec, invert: false };
    const train = await loadFashionMnist(config.fashionMnistDir, fashionSpec, { classes: [0, 1, 2, 3, 4, 5, 6], limitPerClass: 1000 });
    const validation = await loadFashionMnist(config.fashionMnistDir, fashionSpec, { classes: [7, 8, 9], limitPerClass: 300, split: 'test' });
    const names = (c: number[]) => c.map((k) => String(FASHION_MNIST_CLASSES[k]));
    return { train, validation, source: `fashion-mnist (${config.fashionMnistDir})`, trainNames: names([0, 1, 2, 3, 4, 5, 6]), heldOutNames: names([7, 8, 9]) };
  }
  if (dataset.startsWith('folder:')) {
    const { loadFolderDataset } = await import('@/lib/datasets/folder');
    return splitIdentities(await loadFolderDataset(dataset.slice('folder:'.length), spec), config.heldOutShare, config.seed);
  }
  if (dataset.startsWith('vectors:')) return splitIdentities(await loadVectorDataset(dataset.slice('vectors:'.length)), config.heldOutShare, config.seed);
  throw new InputError('invalid_config', `unknown dataset ${dataset}; expected omniglot, fashion-mnist, folder:<path> or vectors:<file>`);
}

function limitTrain(split: Split, config: TrainConfig): void {
  if (config.maxTrainIdentities <= 0 || config.maxTrainIdentities >= split.train.identities.length) return;
  const keep = new Set(createRng(config.seed + 17).shuffle(split.train.identities.map((_, i) => i)).slice(0, config.maxTrainIdentities));
  split.train = { ...split.train, identities: split.train.identities.filter((_, i) => keep.has(i)) };
}

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

/** Every k-th value so a plot gets at most `max` (the histogram shows shares, so a stride sample keeps its shape). */
function strideSample(values: Float32Array, max: number): Float32Array {
  if (values.length <= max) return values;
  const k = Math.ceil(values.length / max);
  return values.filter((_, i) => i % k === 0);
}

async function writePlots(dir: string, result: TrainResult): Promise<string[]> {
  const t = result.calibration.thresholds;
  const roc = rocCurve(result.distances.genuine, result.distances.impostor);
  const charts: [string, string][] = [
    ['loss.png', lineChartSvg({ title: 'Training loss per epoch', xLabel: 'epoch', yLabel: 'mean loss', series: [{ name: 'loss', points: result.lossHistory.map((h) => [h.epoch, h.loss]) }] })],
    ['validation-accuracy.png', lineChartSvg({
      title: 'Held-out one-shot accuracy per epoch', xLabel: 'epoch', yLabel: 'accuracy',
      series: [{ name: 'N-way 1-shot (held-out identities)', points: result.lossHistory.filter((h) => h.valAccuracy !== undefined).map((h) => [h.epoch, h.valAccuracy!]) }],
    })],
    ['roc.png', lineChartSvg({
      title: 'ROC on held-out identities (pairwise)', xLabel: 'false accept rate', yLabel: 'true accept rate', logX: true,
      series: [{ name: `AUC ${result.calibration.auc.toFixed(4)}`, points: roc.far.map((f, i) => [f, roc.tar[i]] as [number, number]).filter(([f]) => f > 0) }],
    })],
    ['distances.png', histogramSvg({
      title: 'Genuine vs impostor distances (held-out identities)', xLabel: 'Euclidean distance',
      series: [{ name: `genuine (${result.distances.genuine.length} pairs)`, values: strideSample(result.distances.genuine, 20_000) }, { name: `impostor (${result.distances.impostor.length} pairs)`, values: strideSample(result.distances.impostor, 20_000) }],
      markers: [
        { x: t.maxBalancedAccuracy.distance, label: 'max bal. acc.' },
        { x: t.far1e2.distance, label: 'FAR 1e-2' },
        { x: t.far1e3.distance, label: 'FAR 1e-3' },
      ],
    })],
  ];
  for (const [name, svg] of charts) await writeFile(path.join(dir, name), await svgToPng(svg));
  return charts.map(([name]) => name);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const fileOverrides = args.configFile ? JSON.parse(await readFile(args.configFile, 'utf8')) : {};
  let runDir: string;
  let config: TrainConfig;
  let resume: TrainCheckpoint | undefined;
  if (args.resume) {
    runDir = args.resume;
    const saved = JSON.parse(await readFile(path.join(runDir, 'config.json'), 'utf8'));
    config = resolveTrainConfig('quick', saved, fileOverrides, args.overrides);
    resume = await loadCheckpoint(runDir);
  } else {
    config = resolveTrainConfig(args.preset, fileOverrides, args.overrides);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    runDir = path.join('runs', `${config.dataset.replace(/[^A-Za-z0-9]+/g, '_').slice(0, 24)}-${stamp}-s${config.seed}`);
  }
  await mkdir(runDir, { recursive: true });
  await writeFile(path.join(runDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  process.stderr.write(`[train] run ${runDir}${resume ? ` (resuming after epoch ${resume.epoch})` : ''}\n[train] config ${JSON.stringify(config)}\n`);

  const { tf, backend } = await initTf(config.backend);
  const loadStart = Date.now();
  const split = await loadSplit(config);
  limitTrain(split, config);
  process.stderr.write(`[train] data: ${split.train.identities.length} train / ${split.validation.identities.length} held-out identities, loaded in ${((Date.now() - loadStart) / 1000).toFixed(1)} s\n`);

  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const result = await trainEmbedding({
    tf, config, train: split.train, validation: split.validation, resume, signal: controller.signal,
    onProgress: createProgressBar(),
    onCheckpoint: (c) => saveCheckpoint(runDir, c),
  });

  const createdAt = new Date().toISOString();
  const slug = config.dataset.split(':')[0].replace(/[^A-Za-z0-9]+/g, '-');
  const version = `${slug}-${createdAt.slice(0, 10)}-${createHash('sha256').update(JSON.stringify(config) + createdAt).digest('hex').slice(0, 4)}`;
  const outDir = args.out ?? path.join(runDir, 'model');
  await mkdir(outDir, { recursive: true });
  const plots = await writePlots(outDir, result);
  const input: ModelManifest['input'] = 'type' in split.train.spec ? { type: 'vector', dim: split.train.spec.dim } : { type: 'image', preprocess: split.train.spec };
  const manifest: ModelManifest = {
    format: 1, version, kind: config.kind, input,
    architecture: { ...result.tower },
    embeddingDim: config.embeddingDim, metric: 'euclidean', calibration: result.calibration,
    data: { source: split.source, train: split.trainNames, heldOut: split.heldOutNames, identities: { train: split.train.identities.length, heldOut: split.validation.identities.length } },
    seed: config.seed, config: { ...config }, metrics: result.metrics, lossHistory: result.lossHistory,
    pairsPerSecond: Math.round(result.pairsPerSecond * 10) / 10, backend, trainingSeconds: Math.round(result.trainingSeconds), createdAt, plots,
  };
  await saveModel(outDir, result.model, manifest);
  await writeFile(path.join(outDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  result.model.dispose();
  const t = result.calibration.thresholds;
  process.stderr.write(`[train] wrote ${outDir} (version ${version})\n`);
  console.log(JSON.stringify({ model: outDir, version, backend, metrics: result.metrics, thresholds: { maxBalancedAccuracy: t.maxBalancedAccuracy.distance, far1e2: t.far1e2.distance, far1e3: t.far1e3.distance }, pairsPerSecond: manifest.pairsPerSecond, trainingSeconds: manifest.trainingSeconds }));
}

main().catch((e: unknown) => {
  process.stderr.write(`[train] error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
