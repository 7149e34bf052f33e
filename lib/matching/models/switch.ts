/**
 * Promote and rollback (issue 8): blue/green switching of a collection between model versions.
 *
 * A switch job embeds every image that lacks an embedding under the target version (in the
 * background, through the embedding worker, resumable: what it wrote stays), makes the target's
 * index complete, then switches `modelVersion` in one transaction that holds the collection's row
 * lock and first checks that no image still lacks the target's embedding (an enrolment that
 * committed meanwhile sends the job round again). A search reads the collection row once and uses
 * that version's model and index, so it sees the old pair or the new pair, never a mix; an
 * enrolment re-checks the version under the same lock (images.ts). A kill before the commit leaves
 * the collection on its old model and index; starting the job again embeds only what is missing.
 */
import { isDbError } from '@/lib/db/client';
import { getCollectionRow, setCollectionModel } from '@/lib/db/collections';
import { upsertEmbedding } from '@/lib/db/embeddings';
import { countImagesLacking, findImagesLacking } from '@/lib/db/images';
import { ConflictError, InputError } from '@/lib/errors';
import { createJob, finishJob, markRunning, reportProgress, switchJobParams, type JobRecord } from '@/lib/jobs';
import { recordAudit } from '@/lib/matching/audit';
import type { Principal } from '@/lib/auth';
import { requireAdmin } from '@/lib/matching/caller';
import { collectionThreshold, gallerySize, loadCollection, requireModelDomain, runtime, type CollectionRow } from '@/lib/matching/context';
import { dropTrials } from '@/lib/matching/gallery-calibration';
import type { ModelKind, ServedModel } from '@/lib/matching/runtime/model-registry';
import { decodeUpload, embedPrepared, prepareImage } from '@/lib/matching/runtime/embed-input';
import type { JobDto } from '@/lib/matching/contract/models';
import { toJobDto } from './retrain';
import type { Runtime } from '@/lib/matching/runtime/runtime';
import { serveModel } from '@/lib/matching/runtime/serve-model';
import { encodeVector } from '@/lib/matching/runtime/vectors';

/** Images embedded per worker call. */
const BATCH = 32;
/** Rounds of "embed what is missing, then try to switch" before giving up under constant enrolment. */
const MAX_ROUNDS = 5;

/** Thrown inside the switch transaction when an image still lacks the target's embedding. */
class StillMissing extends Error {}

/** Starts a switch of the collection to `modelVersion` (promote a candidate, or any kept version). */
export async function promoteModel(caller: Principal, collectionId: string, modelVersion: string): Promise<JobDto> {
  requireAdmin(caller, 'promoting a model');
  return startSwitch(caller, collectionId, modelVersion, 'promote');
}

/** Starts a switch back to the version the collection served before its last switch. */
export async function rollbackModel(caller: Principal, collectionId: string): Promise<JobDto> {
  requireAdmin(caller, 'rolling back a model');
  const c = await loadCollection(runtime().db, caller, collectionId);
  if (!c.previousModelVersion) throw new ConflictError('nothing_to_roll_back', `collection ${c.name} has not switched models; there is no previous version`);
  return startSwitch(caller, collectionId, c.previousModelVersion, 'rollback');
}

async function startSwitch(caller: Principal, collectionId: string, target: string, reason: 'promote' | 'rollback'): Promise<JobDto> {
  const rt = runtime();
  const c = await loadCollection(rt.db, caller, collectionId);
  if (c.modelVersion === target) throw new ConflictError('model_in_use', `collection ${c.name} already uses model ${target}`);
  // Fails fast (404 model_not_found, 400 model_kind_mismatch, 400 model_domain_mismatch) before a job exists.
  requireModelDomain(c, (await serveModel(rt, c.kind as ModelKind, target)).manifest);
  const job = await createJob(rt.db, { type: 'switch', collectionId, params: { from: c.modelVersion, to: target, reason, actor: caller.actor }, owner: rt.instance.owner });
  void runSwitch(rt, job, caller).catch((err) => console.error(`[switch ${job.id}] failed to record its end:`, err));
  return toJobDto(job);
}

/** The switch job's body (in the server process, off the request). */
async function runSwitch(rt: Runtime, job: JobRecord, caller: Principal): Promise<void> {
  const { to, reason } = switchJobParams(job);
  const collectionId = job.collectionId!;
  if (!(await markRunning(rt.db, job.id))) return;
  try {
    const c0 = await getCollectionRow(rt.db, collectionId);
    const model = await serveModel(rt, c0.kind as ModelKind, to);
    const key = { collectionId, modelVersion: to, dim: model.manifest.embeddingDim };
    let embedded = 0;
    for (let round = 1; ; round++) {
      const total = await countImagesLacking(rt.db, collectionId, to);
      let done = 0;
      for (;;) {
        const batch = await findImagesLacking(rt.db, collectionId, to, BATCH);
        if (batch.length === 0) break;
        await embedImages(rt, c0, model, batch);
        done += batch.length;
        embedded += batch.length;
        if (!(await reportProgress(rt.db, job.id, { phase: 'embedding', round, done, total: Math.max(total, done) }))) return; // cancelled
      }
      if (!(await reportProgress(rt.db, job.id, { phase: 'indexing', round, done, total: Math.max(total, done) }))) return;
      await rt.indexes.complete(key);
      const switched = await trySwitch(rt, caller, collectionId, model, reason, job.id);
      if (switched) {
        await finishJob(rt.db, job.id, { status: 'succeeded', result: { ...switched, embedded } });
        return;
      }
      if (round >= MAX_ROUNDS) throw new ConflictError('switch_starved', `images kept arriving without ${to} embeddings for ${MAX_ROUNDS} rounds; start the switch again when enrolment pauses`);
    }
  } catch (err) {
    await finishJob(rt.db, job.id, { status: 'failed', error: `${(err as { code?: string }).code ?? 'internal_error'}: ${(err as Error).message}` });
  }
}

/** Embeds stored images under `model` and writes their embeddings (an image deleted meanwhile is skipped). */
async function embedImages(rt: Runtime, c: CollectionRow, model: ServedModel, batch: { id: string; blob: { sha256: string } }[]): Promise<void> {
  const detect = c.settings.detect ?? 'auto';
  const prepared = [];
  for (const img of batch) {
    const decoded = await decodeUpload(await rt.blobs.read(img.blob.sha256));
    const inputs = await prepareImage(rt.facePreparer, decoded, c.kind as ModelKind, { manifest: model.manifest, detect, purpose: 'enroll' });
    if (inputs.length === 0) throw new InputError('no_face', `image ${img.id} gives no input under model ${model.manifest.version}`);
    prepared.push([inputs[0]]);
  }
  const embedded = await embedPrepared(rt.embedder, model.manifest.version, prepared);
  const version = model.manifest.version;
  for (const [i, img] of batch.entries()) {
    const vector = embedded[i][0].embedding;
    await upsertEmbedding(rt.db, { imageId: img.id, modelVersion: version, dim: vector.length, vector: encodeVector(vector) }).catch((err: unknown) => {
      if (!isDbError(err, 'foreignKey') && !isDbError(err, 'notFound')) throw err; // the image was deleted meanwhile
    });
  }
}

/** The switch itself; null when an image still lacks the target's embedding (another round). */
async function trySwitch(rt: Runtime, caller: Principal, collectionId: string, model: ServedModel, reason: 'promote' | 'rollback', jobId: string) {
  const to = model.manifest.version;
  try {
    return await rt.db.$transaction(async (tx) => {
      // The update takes the row lock enrolments take (allocateSequences), so none commits in between.
      const before = await getCollectionRow(tx, collectionId);
      const after = await setCollectionModel(tx, collectionId, to, before.modelVersion);
      if ((await countImagesLacking(tx, collectionId, to)) > 0) throw new StillMissing();
      const threshold = collectionThreshold(after, model, await gallerySize(tx, after));
      await recordAudit(tx, caller, {
        action: `model.${reason}`, collectionId, modelVersion: to, threshold: threshold.distance,
        details: { from: before.modelVersion, to, jobId, thresholdSource: threshold.source, targetFar: after.targetFar, identities: threshold.identities, images: threshold.images },
      });
      return { from: before.modelVersion, to, threshold: threshold.distance, thresholdSource: threshold.source };
    });
  } catch (err) {
    if (err instanceof StillMissing) return null;
    throw err;
  } finally {
    dropTrials(collectionId);
  }
}
