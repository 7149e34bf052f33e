/**
 * The retraining job's body, run in a child process (lib/jobs `startChildJob`): loads the gallery
 * through the adapter, fine-tunes the collection's current model on it (plus the base data set when
 * asked), writes the candidate under DATA_DIR/models, then evaluates candidate and current on the
 * held-out gallery identities. Progress and the result go to the job row; a cancelled row stops it.
 */
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { env } from '@/lib/config/env';
import { openDb, resolveDbTarget, type Db } from '@/lib/db/client';
import { loadOmniglot, OMNIGLOT_SPLIT } from '@/lib/datasets/omniglot';
import type { Dataset } from '@/lib/datasets/types';
import { initTf, type Tf } from '@/lib/embedder/backend';
import { embedBatch } from '@/lib/embedder/embed';
import { readManifest, type ModelManifest } from '@/lib/embedder/manifest';
import { towerInputShape, type LayersModel, type TowerSpec } from '@/lib/embedder/tower';
import { loadLayersModel } from '@/lib/embedder/weights';
import { AppError, InputError, NotFoundError } from '@/lib/errors';
import { finishJob, getJob, markRunning, reportProgress } from '@/lib/jobs';
import { modelVersionName, writeModelFolder } from '@/lib/training/artifact';
import { resolveTrainConfig } from '@/lib/training/config';
import { trainEmbedding, type TrainProgress } from '@/lib/training/train';
import { BlobStore } from './blob-store';
import { galleryDataset, loadGalleryIdentities, splitGallery, type GalleryIdentity } from './gallery-dataset';
import { compareModels } from './model-comparison';
import { findModelDir, modelDir, modelRoots, type ModelKind } from './models';
import { baseDataPath, retrainSettingsSchema, type RetrainSettings } from './retrain';

/** Least time between two progress writes. */
const PROGRESS_INTERVAL_MS = 500;
/** Most points of the per-step loss curve kept in the progress row. */
const MAX_LOSS_POINTS = 400;

/** Progress phases, in order. */
type Phase = 'loading' | 'training' | 'writing' | 'evaluating';

/** Throttled progress writer; `stopped` turns true once the row is no longer running (cancelled). */
function progressReporter(db: Db, jobId: string, abort: AbortController) {
  const state: Record<string, unknown> & { losses: [number, number][]; validation: [number, number][] } = { phase: 'loading', losses: [], validation: [] };
  let lastWrite = 0;
  let writing: Promise<void> = Promise.resolve();
  const flush = (force: boolean): Promise<void> => {
    const now = Date.now();
    if (!force && now - lastWrite < PROGRESS_INTERVAL_MS) return writing;
    lastWrite = now;
    const snapshot = { ...state, losses: [...state.losses], validation: [...state.validation], updatedAt: new Date(now).toISOString() };
    writing = writing.then(async () => {
      if (!(await reportProgress(db, jobId, snapshot))) abort.abort();
    });
    return writing;
  };
  return {
    phase(phase: Phase, extra: Record<string, unknown> = {}): Promise<void> {
      Object.assign(state, { phase, ...extra });
      return flush(true);
    },
    step(p: TrainProgress): void {
      const global = (p.epoch - 1) * p.stepsPerEpoch + p.step;
      state.losses.push([global, p.loss]);
      if (state.losses.length > MAX_LOSS_POINTS) state.losses = state.losses.filter((_, i) => i % 2 === 0);
      if (p.valAccuracy !== undefined) state.validation.push([p.epoch, p.valAccuracy]);
      Object.assign(state, {
        phase: 'training', epoch: p.epoch, epochs: p.epochs, step: p.step, stepsPerEpoch: p.stepsPerEpoch,
        loss: p.loss, pairsPerSecond: p.pairsPerSecond, etaSeconds: p.etaSeconds,
      });
      void flush(p.valAccuracy !== undefined);
    },
    done: () => writing,
  };
}

/** Base training identities of the kind (Omniglot background's training alphabets for objects). */
async function loadBase(kind: ModelKind, manifest: ModelManifest): Promise<Dataset | null> {
  const zip = baseDataPath(kind);
  if (!zip || manifest.input.type !== 'image') return null;
  return loadOmniglot({ zipPath: zip, spec: manifest.input.preprocess, alphabets: OMNIGLOT_SPLIT.train, cacheDir: path.join(env.dataDir, 'cache') });
}

async function embedAll(tf: Tf, model: LayersModel, manifest: ModelManifest, identities: GalleryIdentity[]): Promise<Float32Array[]> {
  return embedBatch(tf, model, identities.flatMap((g) => g.images), towerInputShape(manifest.architecture as unknown as TowerSpec));
}

/** Runs retraining job `jobId` to its end (called in the child process). */
export async function runRetrainJob(jobId: string): Promise<void> {
  const db = openDb(resolveDbTarget(env.DATABASE_URL, env.dataDir));
  const abort = new AbortController();
  try {
    if (!(await markRunning(db, jobId))) return;
    const progress = progressReporter(db, jobId, abort);
    try {
      const result = await retrain(db, jobId, progress, abort.signal);
      await progress.done();
      await finishJob(db, jobId, { status: 'succeeded', result });
    } catch (err) {
      await progress.done().catch(() => undefined);
      // A cancelled job's row already says so; the abort is its echo.
      if (abort.signal.aborted) return;
      if (!(err instanceof AppError)) console.error(`[retrain ${jobId}]`, err);
      await finishJob(db, jobId, { status: 'failed', error: err instanceof AppError ? `${err.code}: ${err.message}` : `internal error: ${(err as Error).message}` });
    }
  } finally {
    await db.$disconnect();
  }
}

async function retrain(db: Db, jobId: string, progress: ReturnType<typeof progressReporter>, signal: AbortSignal): Promise<Record<string, unknown>> {
  const job = await getJob(db, jobId);
  const settings: RetrainSettings = retrainSettingsSchema.parse(job.params.settings ?? {});
  const collection = await db.collection.findUnique({ where: { id: job.collectionId ?? '' } });
  if (!collection) throw new NotFoundError('collection_not_found', `collection ${job.collectionId} was deleted`);
  const kind = collection.kind as ModelKind;
  const roots = modelRoots(env.modelsDir, env.dataDir);
  const currentVersion = collection.modelVersion;
  const currentDir = findModelDir(roots, kind, currentVersion);
  if (!currentDir) throw new NotFoundError('model_not_found', `the collection's model ${currentVersion} has no folder`);
  const manifest = await readManifest(currentDir);
  if (manifest.input.type !== 'image') throw new InputError('retrain_unsupported', `model ${currentVersion} does not take images`);
  const spec = manifest.input.preprocess;

  const { tf, backend } = await initTf(env.ML_BACKEND);
  await progress.phase('loading', { message: 'reading the gallery', backend });
  const blobs = new BlobStore(env.dataDir);
  const gallery = await loadGalleryIdentities(db, blobs, collection.id, spec);
  const split = splitGallery(gallery, { evaluation: settings.evaluationShare, calibration: settings.calibrationShare }, settings.seed);
  const base = settings.includeBaseData ? await loadBase(kind, manifest) : null;
  if (settings.includeBaseData && !base) throw new InputError('invalid_settings', 'includeBaseData: the base data set is not present here');
  const train: Dataset = galleryDataset(`gallery ${collection.name}`, spec, split.train);
  if (base) train.identities = [...train.identities, ...base.identities];
  const calibration = galleryDataset(`gallery ${collection.name}`, spec, split.calibration);
  await progress.phase('training', { message: 'fine-tuning', identities: { train: train.identities.length, calibration: split.calibration.length, evaluation: split.evaluation.length, base: base?.identities.length ?? 0 } });

  const arch = manifest.architecture as { filters?: number[]; batchNorm?: boolean };
  const config = resolveTrainConfig('quick', {
    kind, dataset: 'gallery', seed: settings.seed, inputSizePx: spec.inputSizePx, maxTrainIdentities: 0,
    filters: arch.filters, batchNorm: arch.batchNorm ?? false, embeddingDim: manifest.embeddingDim,
    epochs: settings.epochs, stepsPerEpoch: settings.stepsPerEpoch, learningRate: settings.learningRate, lrDecay: 0.95,
    identitiesPerBatch: Math.min(16, train.identities.length * 4), imagesPerIdentity: 4, groupsPerBatch: 0,
    validationTrials: 200, calibrationImpostorPairs: 200_000, backend,
  });
  const current = await loadLayersModel(tf, currentDir);
  const deadline = Date.now() + settings.maxMinutes * 60_000;
  const result = await trainEmbedding({
    tf, config, train, validation: calibration, init: current, signal,
    onProgress: (p) => progress.step(p),
    shouldStop: () => Date.now() > deadline,
  });

  await progress.phase('writing', { message: 'writing the candidate model' });
  const createdAt = new Date().toISOString();
  const version = modelVersionName(`${kind}-${collection.name}`.slice(0, 32), config, createdAt);
  const dir = modelDir(roots.trained, kind, version);
  const tmp = `${dir}.tmp-${process.pid}`;
  const candidateManifest = await writeModelFolder(tmp, {
    config, result, backend, version, createdAt,
    data: { train, validation: calibration, source: `gallery of collection ${collection.name} (${collection.id})${base ? ' + omniglot-background' : ''}`, trainNames: split.train.map((g) => g.name), heldOutNames: split.calibration.map((g) => g.name) },
  });
  await rename(tmp, dir).catch(async (err) => {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  });

  await progress.phase('evaluating', { message: 'comparing candidate and current on held-out identities' });
  const identityOf = split.evaluation.flatMap((g) => g.images.map(() => g.identity));
  const comparison = await compareModels(
    identityOf,
    { version: currentVersion, curve: manifest.calibration.curve, vectors: await embedAll(tf, current, manifest, split.evaluation) },
    { version, curve: candidateManifest.calibration.curve, vectors: await embedAll(tf, result.model, candidateManifest, split.evaluation) },
    collection.targetFar,
    settings.seed,
  );
  current.dispose();
  result.model.dispose();
  return {
    candidateVersion: version,
    fromModelVersion: currentVersion,
    backend,
    trainingSeconds: Math.round(result.trainingSeconds),
    pairsPerSecond: Math.round(result.pairsPerSecond * 10) / 10,
    epochsRun: result.lossHistory.length,
    identities: { train: train.identities.length, calibration: split.calibration.length, evaluation: split.evaluation.length, base: base?.identities.length ?? 0 },
    evaluationIdentities: split.evaluation.map((g) => g.name),
    comparison,
  };
}
