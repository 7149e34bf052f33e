/**
 * The versioned model folder a training run produces (issue 3): TF.js files, `manifest.json` with
 * the thresholds, `config.json`, and PNG plots (loss, validation accuracy, ROC, distance
 * histograms) drawn as SVG and rasterised with sharp. `npm run train` and the dashboard's
 * retraining job both write models through here.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Dataset } from '@/lib/datasets/types';
import type { BackendName } from '@/lib/embedder/backend';
import type { ModelManifest } from '@/lib/embedder/manifest';
import type { PhotoBackbone } from '@/lib/embedder/photo-backbone';
import { towerOutputDim } from '@/lib/embedder/tower';
import { saveModel } from '@/lib/embedder/weights';
import { svgToPng } from '@/lib/imaging';
import { histogramSvg, lineChartSvg } from '@/lib/plots';
import { rocCurve } from '@/lib/calibration';
import type { TrainConfig } from './config';
import type { TrainResult } from './train';

/** What the model was trained and calibrated on, as the manifest's `data` lists it. */
export interface TrainingData {
  /** Training identities. */
  train: Dataset;
  /** Held-out identities (validation and calibration). */
  validation: Dataset;
  /** Human-readable source, e.g. `omniglot-background (<zip>)`. */
  source: string;
  /** Names of the training identities or groups (e.g. alphabets). */
  trainNames: string[];
  /** Names of the held-out identities or groups. */
  heldOutNames: string[];
  /** The frozen backbone the vectors came from (photo data sets): the model is then a photo model. */
  backbone?: PhotoBackbone;
}

/** A model version name: `<slug>-<date>-<4 hex of config and time>`, e.g. `omniglot-2026-11-29-80ca`. */
export function modelVersionName(slug: string, config: TrainConfig, createdAt: string): string {
  const hash = createHash('sha256').update(JSON.stringify(config) + createdAt).digest('hex').slice(0, 4);
  return `${slug.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase()}-${createdAt.slice(0, 10)}-${hash}`;
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
  // An ensemble draws each member's curves (trained apart); a single run its own.
  const histories = result.members?.map((m) => ({ name: m.version, history: m.lossHistory })) ?? [{ name: '', history: result.lossHistory }];
  const charts: [string, string][] = [
    ['loss.png', lineChartSvg({
      title: 'Training loss per epoch', xLabel: 'epoch', yLabel: 'mean loss',
      series: histories.map((h) => ({ name: h.name || 'loss', points: h.history.map((e) => [e.epoch, e.loss] as [number, number]) })),
    })],
    ['validation-accuracy.png', lineChartSvg({
      title: 'Held-out one-shot accuracy per epoch', xLabel: 'epoch', yLabel: 'accuracy',
      series: histories.map((h) => ({
        name: h.name || 'N-way 1-shot (held-out identities)',
        points: h.history.filter((e) => e.valAccuracy !== undefined).map((e) => [e.epoch, e.valAccuracy!] as [number, number]),
      })),
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

/** Options of `writeModelFolder`. */
export interface ModelFolderInput {
  /** The resolved training config (saved as `config.json` and in the manifest). */
  config: TrainConfig;
  /** The finished run (its model is not disposed here). */
  result: TrainResult;
  /** What it was trained and calibrated on. */
  data: TrainingData;
  /** The TF.js backend it trained on. */
  backend: BackendName;
  /** Model version name (see `modelVersionName`). */
  version: string;
  /** ISO time of creation. */
  createdAt: string;
}

/** Writes the model folder `outDir` and returns its manifest. */
export async function writeModelFolder(outDir: string, m: ModelFolderInput): Promise<ModelManifest> {
  const { config, result, data } = m;
  await mkdir(outDir, { recursive: true });
  const plots = await writePlots(outDir, result);
  const input: ModelManifest['input'] = 'type' in data.train.spec ? { type: 'vector', dim: data.train.spec.dim } : { type: 'image', preprocess: data.train.spec };
  const manifest: ModelManifest = {
    format: 1, version: m.version, kind: config.kind, input,
    architecture: { ...result.tower },
    embeddingDim: towerOutputDim(result.tower), metric: 'euclidean', calibration: result.calibration,
    data: { source: data.source, train: data.trainNames, heldOut: data.heldOutNames, identities: { train: data.train.identities.length, heldOut: data.validation.identities.length } },
    seed: config.seed, config: { ...config }, metrics: result.metrics, lossHistory: result.lossHistory,
    pairsPerSecond: Math.round(result.pairsPerSecond * 10) / 10, backend: m.backend, trainingSeconds: Math.round(result.trainingSeconds), createdAt: m.createdAt, plots,
    ...(result.members ? { members: result.members } : {}),
    ...(data.backbone ? { domain: 'photo' as const, backbone: data.backbone } : {}),
  };
  await saveModel(outDir, result.model, manifest);
  await writeFile(path.join(outDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return manifest;
}
