/**
 * 5-fold person-disjoint cross-validation of the face embedding on ORL (issue 4), and the default
 * face model:
 *
 *   npx tsx scripts/face-cv.ts                        # CV -> bench/results/face-cv.json + markdown table
 *   npx tsx scripts/face-cv.ts --writeModel=true      # ... then writes models/face/<version>/ (all 40 people)
 *   npx tsx scripts/face-cv.ts --plainOnly            # no CV: only the plain-descriptor model (after an alignment change)
 *
 * Each fold: 32 people train the Siamese head (`scripts/train.ts --dataset=vectors:<file>`, which
 * itself holds 20% of them out to calibrate) and calibrate the plain descriptor; the 8 others are
 * tested with the `evaluate identify` protocol (`lib/evaluation/identify.ts`: strangers held out,
 * K shots enrolled, threshold at open-set FAR 1e-2). Three embeddings side by side:
 *   plain@0.6         raw descriptor, the customary dlib/face-api distance 0.6;
 *   plain+calibrated  L2-normalised descriptor, threshold from our calibration on the 32;
 *   head              our trained head, threshold from its own calibration.
 * Descriptors come from detect=auto with the default face model's detector and thresholds
 * (`defaultFaceConfig`: BlazeFace) and `DEFAULT_ALIGNMENT`, cached in runs/cache.
 * Config: zod schema below; `--key=value` or `--key value` flags (scripts/cli/args.ts); unknown flags are errors.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { ModelManifest } from '@/lib/embedder/manifest';
import { loadModel } from '@/lib/embedder/weights';
import { evaluateIdentify, type IdentifyResult } from '@/lib/evaluation/identify';
import { createUniform, shuffled } from '@/lib/evaluation/random';
import { DEFAULT_ALIGNMENT, defaultFaceConfig, describeFolder, l2Normalise, loadFaceModels, toLabelledVectors, writeFaceConfig, type DescribedImage } from '@/lib/faces';
import { calibrate, pairDistances, type Calibration, type CalibrationCurve } from '@/lib/calibration';
import { parseCli } from './cli/args';

const configSchema = z.strictObject({
  /** ORL archive (40 folders s1..s40 of 10 PGM each). */
  zip: z.string().default('../shared/data/orl-faces/att_faces.zip'),
  /** Number of person-disjoint folds. */
  folds: z.number().int().min(2).default(5),
  /** Seed of the fold split and of the identify draws. */
  seed: z.number().int().min(0).default(1),
  /** Shot counts evaluated. */
  shots: z.array(z.number().int().positive()).default([1, 5]),
  /** Identify repeats per fold and shot count. */
  repeats: z.number().int().positive().default(20),
  /** Customary distance of the plain descriptor (face-api / dlib docs). */
  plainThreshold: z.number().positive().default(0.6),
  /** Head training flags passed to scripts/train.ts (its config schema checks them). */
  head: z.record(z.string(), z.unknown()).default({
    kind: 'face', hidden: [], embeddingDim: 128, loss: 'triplet-batch-hard', margin: 0.2, softMargin: false,
    identitiesPerBatch: 16, imagesPerIdentity: 4, groupsPerBatch: 0, epochs: 15, stepsPerEpoch: 40, learningRate: 1e-3, lrDecay: 0.9,
    validationWays: 5, validationWithinGroup: false, validationTrials: 200, heldOutShare: 0.2, hardNegativeShare: 0.25,
  }),
  /** Working folder for the fold models. */
  workDir: z.string().default('runs/face-cv'),
  /** Result JSON. */
  out: z.string().default('bench/results/face-cv.json'),
  /** Also write the default face model (all people) under models/face/<version>/. */
  writeModel: z.boolean().default(false),
  /** Skip the CV and the head: write only the plain-descriptor model, calibrated on every identity. */
  plainOnly: z.boolean().default(false),
  /**
   * With --plainOnly: calibrate on every identity of the data (`all`), or on the identities at even
   * positions of the sorted names (`even`), so the odd half stays unseen by the model and
   * `evaluate openset` (which leaves the manifest's identities out) measures on it.
   */
  calibrateOn: z.enum(['all', 'even']).default('all'),
});
type Config = z.infer<typeof configSchema>;

const run = promisify(execFile);
const log = (msg: string) => process.stderr.write(`[face-cv] ${msg}\n`);

/** A curve whose open-set threshold is `d` for any gallery size (a fixed-distance baseline). */
function fixedCurve(d: number): CalibrationCurve {
  return { distances: [d, d], far: [0, 1], tar: [0, 1] };
}

/** The calibration of every genuine and impostor pair of the L2-normalised descriptors. */
function calibrateAllPairs(byIdentity: readonly Float32Array[][]): Calibration {
  const { genuine, impostor } = pairDistances(byIdentity.map((es) => es.map(l2Normalise)));
  return calibrate(genuine, impostor);
}

function descriptorsOf(images: readonly DescribedImage[], ids: readonly string[]): Float32Array[][] {
  return ids.map((id) => images.filter((im) => im.identity === id && im.descriptor).map((im) => Float32Array.from(im.descriptor!)));
}

/**
 * Every image of the test people, null where detection refused it: the identify protocol counts a
 * refused shot as missing and a refused query as wrong or rejected, as `evaluate identify` does.
 */
function testDescriptorsOf(images: readonly DescribedImage[], ids: readonly string[]): (Float32Array | null)[][] {
  return ids.map((id) => images.filter((im) => im.identity === id).map((im) => (im.descriptor ? Float32Array.from(im.descriptor) : null)));
}

/** Applies `fn` to the non-null vectors, keeping each null in its place. */
async function mapPresent(vs: (Float32Array | null)[], fn: (present: Float32Array[]) => Promise<Float32Array[]>): Promise<(Float32Array | null)[]> {
  const out = await fn(vs.filter((v): v is Float32Array => v !== null));
  let k = 0;
  return vs.map((v) => (v === null ? null : out[k++]));
}

/** Trains a head with scripts/train.ts on `ids`; returns its model folder. */
async function trainHead(config: Config, images: readonly DescribedImage[], ids: readonly string[], dir: string, seed: number): Promise<{ model: string; version: string }> {
  await mkdir(dir, { recursive: true });
  const vectors = path.join(dir, 'vectors.json');
  await writeFile(vectors, JSON.stringify(toLabelledVectors(images, new Set(ids))));
  const flags = Object.entries({ ...config.head, seed, dataset: `vectors:${vectors}` }).map(([k, v]) => `--${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const { stdout } = await run('npx', ['tsx', 'scripts/train.ts', '--preset=default', ...flags, '--out', path.join(dir, 'model')], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { model: string; version: string };
}

/** ||W - I||_F / ||I||_F of a linear 128->128 head (null for other shapes). */
async function distanceFromIdentity(modelDir: string): Promise<number | null> {
  const topology = JSON.parse(await readFile(path.join(modelDir, 'model.json'), 'utf8')) as { weightsManifest: { weights: { name: string; shape: number[] }[] }[] };
  const specs = topology.weightsManifest.flatMap((g) => g.weights);
  const data = new Float32Array((await readFile(path.join(modelDir, 'weights.bin'))).buffer.slice(0));
  let offset = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.name.endsWith('kernel') && specs.filter((x) => x.name.endsWith('kernel')).length === 1 && s.shape[0] === s.shape[1]) {
      const dim = s.shape[0];
      let diff = 0;
      for (let r = 0; r < dim; r++) for (let c = 0; c < dim; c++) diff += (data[offset + r * dim + c] - (r === c ? 1 : 0)) ** 2;
      return Math.sqrt(diff) / Math.sqrt(dim);
    }
    offset += n;
  }
  return null;
}

type Figures = Pick<IdentifyResult, 'rank1' | 'tar' | 'far' | 'auc'>;
const FIGURES: (keyof Figures)[] = ['rank1', 'tar', 'far', 'auc'];
const EMBEDDINGS = ['plain@0.6', 'plain+calibrated', 'head'] as const;

function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  // Sample standard deviation over folds (n - 1).
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean, std };
}

/** Calibration of the L2-normalised plain descriptor over every pair of `ids`' images. */
function plainCalibration(images: readonly DescribedImage[], ids: readonly string[]): Calibration {
  return calibrateAllPairs(descriptorsOf(images, ids));
}

/** Writes the plain-descriptor default model (head null) calibrated on every identity. */
async function writePlainModel(images: readonly DescribedImage[], ids: readonly string[], calibration: Calibration, config: Config): Promise<string> {
  const face = defaultFaceConfig(null);
  const createdAt = new Date().toISOString();
  const crop = `${DEFAULT_ALIGNMENT.method}${DEFAULT_ALIGNMENT.flip ? '-flip' : ''}`;
  const version = `face-${face.detector === 'blazeface' ? 'blaze' : 'plain'}-${crop}-${createdAt.slice(0, 10)}-${createHash('sha256').update(JSON.stringify(calibration.thresholds) + createdAt).digest('hex').slice(0, 4)}`;
  const dir = path.join('models', 'face', version);
  await mkdir(dir, { recursive: true });
  const manifest: ModelManifest = {
    format: 1, version, kind: 'face', input: { type: 'vector', dim: 128 },
    architecture: { type: 'plain-descriptor', embedding: 'descriptor / ||descriptor||', descriptor: '@vladmandic/face-api faceRecognitionNet (dlib ResNet port), 150x150 aligned RGB' },
    embeddingDim: 128, metric: 'euclidean', calibration,
    data: { source: `${config.zip}${config.calibrateOn === 'even' ? ' (even half of the sorted identities)' : ''}, detect=auto, ${face.detector} detector, alignment ${crop}`, train: [], heldOut: [...ids], identities: { train: 0, heldOut: ids.length } },
    seed: config.seed, config: { ...config }, metrics: { auc: calibration.auc, eer: calibration.eer, images: images.filter((i) => i.descriptor).length },
    lossHistory: [], pairsPerSecond: 0, backend: 'none', trainingSeconds: 0, createdAt, plots: [],
  };
  await writeFile(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFaceConfig(dir, face);
  return dir;
}

async function main(): Promise<void> {
  const config = parseCli(process.argv.slice(2), { schema: configSchema });
  log(`config ${JSON.stringify(config)}`);
  const models = await loadFaceModels();
  const { detector, thresholds: faceThresholds } = defaultFaceConfig(null);
  const described = await describeFolder(config.zip, { models, mode: 'auto', detector, thresholds: faceThresholds, alignment: DEFAULT_ALIGNMENT, log });
  const verdictCounts: Record<string, number> = {};
  for (const im of described.images) for (const v of im.verdicts.length ? im.verdicts : ['face']) verdictCounts[v] = (verdictCounts[v] ?? 0) + 1;
  log(`descriptors ${described.cached ? 'from cache' : 'computed'}: ${described.file}; verdicts ${JSON.stringify(verdictCounts)}`);
  const { images } = described;
  const ids = [...new Set(images.map((i) => i.identity))];
  if (config.plainOnly) {
    const used = config.calibrateOn === 'all' ? ids : ids.slice().sort().filter((_, i) => i % 2 === 0);
    console.log(`default face model: ${await writePlainModel(images.filter((i) => used.includes(i.identity)), used, plainCalibration(images, used), config)}`);
    return;
  }
  const order = shuffled(ids, createUniform(config.seed));
  const foldSize = Math.ceil(ids.length / config.folds);

  const perFold: Record<string, Record<string, Figures>>[] = [];
  const headIdentity: number[] = [];
  const thresholds: { plainCalibratedFar1e2: number; headFar1e2: number }[] = [];
  for (let f = 0; f < config.folds; f++) {
    const test = order.slice(f * foldSize, (f + 1) * foldSize);
    const train = order.filter((id) => !test.includes(id));
    const plainCal = calibrateAllPairs(descriptorsOf(images, train));
    const headDir = (await trainHead(config, images, train, path.join(config.workDir, `fold${f + 1}`), config.seed + f)).model;
    const head = await loadModel(headDir);
    const dist = await distanceFromIdentity(headDir);
    if (dist !== null) headIdentity.push(dist);
    const raw = testDescriptorsOf(images, test);
    const byEmbedding: Record<(typeof EMBEDDINGS)[number], { emb: (Float32Array | null)[][]; curve: CalibrationCurve }> = {
      'plain@0.6': { emb: raw, curve: fixedCurve(config.plainThreshold) },
      'plain+calibrated': { emb: await Promise.all(raw.map((es) => mapPresent(es, async (p) => p.map(l2Normalise)))), curve: plainCal.curve },
      head: { emb: await Promise.all(raw.map((es) => mapPresent(es, (p) => head.embed(p)))), curve: head.manifest.calibration.curve },
    };
    thresholds.push({ plainCalibratedFar1e2: plainCal.thresholds.far1e2.distance, headFar1e2: head.manifest.calibration.thresholds.far1e2.distance });
    head.dispose();
    const fold: Record<string, Record<string, Figures>> = {};
    for (const shots of config.shots) {
      fold[`${shots}-shot`] = {};
      for (const name of EMBEDDINGS) {
        const r = evaluateIdentify(byEmbedding[name].emb, test, { shots, repeats: config.repeats, seed: config.seed * 1000 + f, curve: byEmbedding[name].curve });
        fold[`${shots}-shot`][name] = { rank1: r.rank1, tar: r.tar, far: r.far, auc: r.auc };
      }
    }
    perFold.push(fold);
    log(`fold ${f + 1}/${config.folds}: test ${test.join(',')}; head ||W-I||/||I|| = ${dist?.toFixed(3)}; ${JSON.stringify(fold)}`);
  }

  const summary: Record<string, Record<string, Record<string, { mean: number; std: number }>>> = {};
  for (const shotKey of Object.keys(perFold[0])) {
    summary[shotKey] = {};
    for (const name of EMBEDDINGS) {
      summary[shotKey][name] = Object.fromEntries(FIGURES.map((k) => [k, meanStd(perFold.map((fold) => fold[shotKey][name][k]))]));
    }
  }
  // Decision (issue 4): head beats plain+calibrated on mean AUC and TAR by more than one std
  // (the larger of the two std's) at every shot count, and loses no figure by more than one.
  const checks: string[] = [];
  let wins = true;
  for (const shotKey of Object.keys(summary)) {
    const ours = summary[shotKey].head;
    const base = summary[shotKey]['plain+calibrated'];
    for (const k of FIGURES) {
      const sd = Math.max(ours[k].std, base[k].std);
      const gain = k === 'far' ? base[k].mean - ours[k].mean : ours[k].mean - base[k].mean;
      const ok = k === 'auc' || k === 'tar' ? gain > sd : gain >= -sd;
      if (!ok) wins = false;
      checks.push(`${shotKey} ${k}: gain ${gain.toFixed(4)} vs std ${sd.toFixed(4)} -> ${ok ? 'ok' : 'FAIL'}`);
    }
  }
  const result = {
    task: 'face-cv', dataset: config.zip, folds: config.folds, peoplePerTestFold: foldSize, repeats: config.repeats, seed: config.seed,
    protocol: 'lib/evaluation/identify.ts (strangers = 1/3 of the test fold, threshold at open-set FAR 1e-2); std = sample std over folds',
    descriptors: { file: described.file, verdicts: verdictCounts, detect: 'auto', detector, refusedImagesCountedAsMissingOrWrong: true },
    headConfig: config.head, headDistanceFromIdentity: meanStd(headIdentity), thresholds, summary, perFold,
    decision: { headWins: wins, checks, defaultFaceModel: wins ? 'head' : 'plain descriptor + calibrated threshold' },
    createdAt: new Date().toISOString(),
  };
  await mkdir(path.dirname(config.out), { recursive: true });
  await writeFile(config.out, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${config.out}`);

  const fmt = (v: { mean: number; std: number }) => `${v.mean.toFixed(3)} ± ${v.std.toFixed(3)}`;
  const lines = ['| shots | embedding | rank-1 | TAR @ open-set FAR 1e-2 | FAR | AUC |', '|---|---|---|---|---|---|'];
  for (const shotKey of Object.keys(summary)) {
    for (const name of EMBEDDINGS) lines.push(`| ${shotKey} | ${name} | ${FIGURES.map((k) => fmt(summary[shotKey][name][k])).join(' | ')} |`);
  }
  console.log(lines.join('\n'));
  console.log(`\nhead ||W - I||_F / ||I||_F = ${fmt(result.headDistanceFromIdentity)}; head wins: ${wins}`);

  if (config.writeModel) {
    if (wins) {
      const trained = await trainHead(config, images, ids, path.join(config.workDir, 'all'), config.seed);
      const dir = path.join('models', 'face', trained.version);
      await cp(trained.model, dir, { recursive: true });
      await writeFaceConfig(dir, defaultFaceConfig('model.json'));
      console.log(`default face model: ${dir}`);
    } else {
      console.log(`default face model: ${await writePlainModel(images, ids, plainCalibration(images, ids), config)}`);
    }
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`[face-cv] error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
