/**
 * The retraining job's body, run in a child process (lib/jobs `startChildJob`): loads the gallery
 * through the adapter, fine-tunes the collection's current model on it (plus the base data set when
 * asked), writes the candidate under DATA_DIR/models (a photo candidate with its open-set table),
 * then evaluates candidate and current on the held-out gallery identities and on the training
 * identities' held-out images, searched against the whole gallery (./comparison.ts).
 * Progress and the result go to the job row; a cancelled row stops it.
 */
import { rename, rm } from 'node:fs/promises';
import { env } from '@/lib/config/env';
import { openDb, resolveDbTarget, type Db } from '@/lib/db/client';
import { findCollection } from '@/lib/db/collections';
import type { Dataset } from '@/lib/datasets/types';
import { initTf, type BackendName, type Tf } from '@/lib/embedder/backend';
import { modelOpenSetTable, TABLE_REPEATS } from '@/lib/calibration';
import { embedTower } from '@/lib/embedder/embed';
import { writeOpenSetTable } from '@/lib/embedder/open-set-table';
import { modelDomain, readManifest, type ModelManifest } from '@/lib/embedder/manifest';
import { AppError, InputError, NotFoundError } from '@/lib/errors';
import type { DetectMode } from '@/lib/faces';
import { finishJob, getJob, markRunning, reportProgress } from '@/lib/jobs';
import { modelVersionName, writeModelFolder } from '@/lib/training/artifact';
import { PRESETS, resolveTrainConfig } from '@/lib/training/config';
import { trainEmbedding, type TrainProgress } from '@/lib/training/train';
import type { BlobStore } from '@/lib/matching/runtime/blob-store';
import { ensureModelDir, publishModelFolder } from '@/lib/matching/runtime/model-store';
import { blobStoreKind, openBlobStore } from '@/lib/matching/runtime/open-blob-store';
import type { CollectionRow } from '@/lib/matching/context';
import { galleryDataset, loadGalleryIdentities, splitGallery } from './gallery-dataset';
import { openModelSource, type ModelSource } from './retrain-sources';
import { compareModels } from './comparison';
import { modelDir, modelRoots, type ModelKind } from '@/lib/matching/runtime/model-registry';
import { retrainSettingsSchema, type RetrainSettings } from '@/lib/matching/contract/models';
import { baseDataPath } from './retrain';

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

/** Runs retraining job `jobId` to its end (called in the child process). */
export async function runRetrainJob(jobId: string): Promise<void> {
  const target = resolveDbTarget(env.DATABASE_URL, env.dataDir);
  const db = openDb(target);
  const blobs = openBlobStore(blobStoreKind(env.BLOB_STORE, target), db, target, env.dataDir);
  const abort = new AbortController();
  try {
    if (!(await markRunning(db, jobId))) return;
    const progress = progressReporter(db, jobId, abort);
    try {
      const result = await retrain(db, blobs, jobId, progress, abort.signal);
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
    await blobs.close();
    await db.$disconnect();
  }
}

async function retrain(db: Db, blobs: BlobStore, jobId: string, progress: ReturnType<typeof progressReporter>, signal: AbortSignal): Promise<Record<string, unknown>> {
  const job = await getJob(db, jobId);
  const settings: RetrainSettings = retrainSettingsSchema.parse(job.params.settings ?? {});
  const collection = await findCollection(db, job.collectionId ?? '');
  if (!collection) throw new NotFoundError('collection_not_found', `collection ${job.collectionId} was deleted`);
  const kind = collection.kind as ModelKind;
  const roots = modelRoots(env.modelsDir, env.dataDir);
  const currentDir = await ensureModelDir({ db, blobs, modelRoots: roots }, kind, collection.modelVersion);
  if (!currentDir) throw new NotFoundError('model_not_found', `the collection's model ${collection.modelVersion} has no folder`);
  const manifest = await readManifest(currentDir);
  // oneDNN for drawing towers only: a face job runs face-api's nets, a photo job the photo backbone (InitOptions.onednn).
  const { tf, backend } = await initTf(env.ML_BACKEND, { onednn: kind === 'object' && modelDomain(manifest) !== 'photo' });
  await progress.phase('loading', { message: 'reading the gallery', backend });
  const detect: DetectMode = collection.settings.detect ?? 'auto';
  const source = await openModelSource({ tf, kind, dir: currentDir, manifest, detect, cacheDir: env.cacheDir });
  try {
    return await trainAndCompare({ db, blobs, tf, backend, collection, settings, manifest, source, progress, signal, trainedRoot: roots.trained });
  } finally {
    source.dispose();
  }
}

async function trainAndCompare(o: {
  db: Db; blobs: BlobStore; tf: Tf; backend: BackendName; collection: CollectionRow; settings: RetrainSettings; manifest: ModelManifest;
  source: ModelSource; progress: ReturnType<typeof progressReporter>; signal: AbortSignal; trainedRoot: string;
}): Promise<Record<string, unknown>> {
  const { tf, backend, collection, settings, manifest, source, progress } = o;
  const kind = collection.kind as ModelKind;
  const gallery = await loadGalleryIdentities(o.db, o.blobs, collection.id, source.toInput, (done, total) => {
    if (done % 25 === 0 || done === total) void progress.phase('loading', { message: `reading the gallery (${done}/${total} images)` });
  });
  const split = splitGallery(gallery, { evaluation: settings.evaluationShare, calibration: settings.calibrationShare }, settings.seed);
  const baseRoot = settings.includeBaseData ? baseDataPath(collection) : null;
  const base = baseRoot ? await source.loadBase(baseRoot, new Set(gallery.map((g) => g.name))) : null;
  // Photos: a current model retrained without the base set names none of its products (manifest data.train).
  if (settings.includeBaseData && !base) throw new InputError('invalid_settings', "includeBaseData: the base data set is not present here, or names fewer than 2 of the current model's training identities; retrain without it");
  const train: Dataset = galleryDataset(`gallery ${collection.name}`, source.spec, split.train);
  if (base) train.identities = [...train.identities, ...base.dataset.identities];
  const calibration = galleryDataset(`gallery ${collection.name}`, source.spec, split.calibration);
  if (base?.calibration) calibration.identities = [...calibration.identities, ...base.calibration.dataset.identities];
  const counts = {
    train: train.identities.length, calibration: calibration.identities.length, evaluation: split.evaluation.length,
    base: base?.dataset.identities.length ?? 0, baseCalibration: base?.calibration?.dataset.identities.length ?? 0,
  };
  await progress.phase('training', { message: source.init ? 'fine-tuning' : 'training a new head', identities: counts });

  // Image identities count 4 times (each quarter turn is a new identity); vectors once.
  const virtual = train.identities.length * (source.tower.rotations90 === false ? 1 : 4);
  const config = resolveTrainConfig('retrain', {
    kind, dataset: 'gallery', seed: settings.seed, ...source.tower,
    epochs: settings.epochs, stepsPerEpoch: settings.stepsPerEpoch, learningRate: settings.learningRate,
    identitiesPerBatch: Math.min(PRESETS.retrain.identitiesPerBatch, virtual), backend,
  });
  const deadline = Date.now() + settings.maxMinutes * 60_000;
  const result = await trainEmbedding({
    tf, config, train, validation: calibration, init: source.init ?? undefined, signal: o.signal,
    onProgress: (p) => progress.step(p),
    shouldStop: () => Date.now() > deadline,
  });

  await progress.phase('writing', { message: 'writing the candidate model' });
  const createdAt = new Date().toISOString();
  const version = modelVersionName(`${kind}-${collection.name}`.slice(0, 32), config, createdAt);
  const dir = modelDir(o.trainedRoot, kind, version);
  const tmp = `${dir}.tmp-${process.pid}`;
  const dataSource = `gallery of collection ${collection.name} (${collection.id})${base ? ` + ${base.dataset.name}` : ''}`;
  const heldOutNames = [...split.calibration.map((g) => g.name), ...(base?.calibration?.names ?? [])];
  const candidateManifest = await writeModelFolder(tmp, {
    config, result, backend, version, createdAt,
    data: { train, validation: calibration, source: dataSource, trainNames: [...split.train.map((g) => g.name), ...(base?.names ?? [])], heldOutNames, backbone: source.backbone },
  });
  await source.finish(tmp);
  if (base?.calibration) {
    // A photo candidate calibrates on the products the current model's open-set table was measured
    // on (the base set's calibration part) beside the gallery's: it ships that table too, measured
    // the same way on its own embeddings, with the identity bound under BOUND_MAX_IDENTITIES.
    await progress.phase('writing', { message: "measuring the candidate's open-set table" });
    const vectors = await embedTower(tf, result.model, result.tower, calibration.identities.flatMap((i) => i.images));
    let at = 0;
    const identities = calibration.identities.map((id, k) => ({ name: heldOutNames[k], vectors: vectors.slice(at, (at += id.images.length)) }));
    const table = modelOpenSetTable(identities, { repeats: TABLE_REPEATS, seed: settings.seed, aggregate: 'centroid', bound: 'auto' });
    await writeOpenSetTable(tmp, table, `${dataSource}: the calibration identities (manifest data.heldOut), ${TABLE_REPEATS} draws per shape, seed ${settings.seed}, scored by centroid`, heldOutNames);
  }
  // Into the shared store before it appears here, so every instance can load the candidate after a
  // promote (one that lacks the folder, this one included, writes it from the store).
  await publishModelFolder(o, kind, version, tmp);
  await rename(tmp, dir).catch(async (err) => {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  });

  await progress.phase('evaluating', { message: 'comparing candidate and current on held-out identities and held-out images' });
  // Each model embeds the whole gallery once, held-out identities first: the first comparison reads
  // those, the second every example with the training identities' held-out images as its queries
  // (searched against the whole gallery: the identities the candidate did not train on are
  // searched too, as they are after a promote).
  const groups = [...split.evaluation, ...split.train, ...split.calibration, ...split.trainedQueries];
  const images = groups.flatMap((g) => g.images);
  const identityOf = groups.flatMap((g) => g.images.map(() => g.identity));
  const current = { version: collection.modelVersion, curve: manifest.calibration.curve, vectors: await source.embedCurrent(images) };
  const candidate = { version, curve: candidateManifest.calibration.curve, vectors: await embedTower(tf, result.model, result.tower, images) };
  // The first `n` examples, `queries` (indexes) limiting which are queried.
  const compare = (n: number, queries?: number[]) =>
    compareModels(identityOf.slice(0, n), { ...current, vectors: current.vectors.slice(0, n) }, { ...candidate, vectors: candidate.vectors.slice(0, n) }, collection.targetFar, { seed: settings.seed, queries });
  const comparison = await compare(split.evaluation.reduce((n, g) => n + g.images.length, 0));
  const trainedQueries = split.trainedQueries.reduce((n, g) => n + g.images.length, 0);
  const trainedComparison = trainedQueries > 0 ? await compare(images.length, Array.from({ length: trainedQueries }, (_, i) => images.length - trainedQueries + i)) : null;
  result.model.dispose();
  return {
    candidateVersion: version,
    fromModelVersion: collection.modelVersion,
    backend,
    trainingSeconds: Math.round(result.trainingSeconds),
    pairsPerSecond: Math.round(result.pairsPerSecond * 10) / 10,
    epochsRun: result.lossHistory.length,
    identities: counts,
    evaluationIdentities: split.evaluation.map((g) => g.name),
    ...source.report(),
    comparison,
    trainedComparison,
  };
}
