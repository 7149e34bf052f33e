/**
 * Retraining from the dashboard (issue 8): start a training job for a collection's model, follow
 * it, cancel it. The job runs in a child process (./retrain-job.ts) and reports through its job row.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { entryLaunch } from '@/lib/config/entry-points';
import { env } from '@/lib/config/env';
import { InputError } from '@/lib/errors';
import { cancelJob, createJob, getJob, listJobs, type JobRecord } from '@/lib/jobs';
import type { Principal } from '@/lib/auth';
import { requireAdmin } from '@/lib/matching/caller';
import { loadCollection, runtime } from '@/lib/matching/context';
import { processState } from '@/lib/matching/process-state';
import { countGalleryIdentities, requireGallerySize } from './gallery-dataset';
import { DEFAULT_JOB_LIST, MAX_JOB_LIST, retrainSettingsSchema, type JobDto, type RetrainSettings } from '@/lib/matching/contract/models';

/** The job as the API shows it. */
export function toJobDto(j: JobRecord): JobDto {
  return { ...j, createdAt: j.createdAt.toISOString(), startedAt: j.startedAt?.toISOString() ?? null, finishedAt: j.finishedAt?.toISOString() ?? null };
}

type CollectionDomain = { kind: string; domain: string | null };

/** The base training set of each kind of object collection, under TRAINING_DATA_DIR. */
const BASE_DATA = {
  drawings: { name: 'Omniglot background', path: ['omniglot-background', 'images_background.zip'] },
  photos: { name: 'grocery-store', path: ['grocery-store', 'images'] },
} as const;

/** The base training data of a collection when present here: its name and path. */
function availableBaseData(c: CollectionDomain): { name: string; path: string } | null {
  if (c.kind !== 'object') return null;
  const base = c.domain === 'photos' ? BASE_DATA.photos : BASE_DATA.drawings;
  const p = path.join(env.trainingDataDir, ...base.path);
  return existsSync(p) ? { name: base.name, path: p } : null;
}

/**
 * Path of the base training data of a collection, or null when absent here (the option is then
 * hidden): Omniglot's background set for drawings, grocery-store's photos for photos (the job
 * takes the products the current model trained on); none for faces.
 */
export function baseDataPath(c: CollectionDomain): string | null {
  return availableBaseData(c)?.path ?? null;
}

/**
 * Share of a photos gallery's identities held out to evaluate, and to calibrate (at least 2 each):
 * a photos retrain trains on 80% of them by default, with the base set when present (issue 19).
 * New photos of a trained product are searched against the whole gallery, and every product left
 * out of training is one the candidate was not fitted to tell them from. Chosen on seeds 11-40 of a
 * 20-product grocery-store gallery and measured through the API on seeds 1-10 and 41-70 (README,
 * "Photos collections"): the AUC gain's interval excludes 0 in 28 of 40 splits, against 6 of 30
 * for the other kinds' 30% / 20% without the base set.
 */
const PHOTO_HELD_OUT_SHARE = 0.1;

/** The retraining defaults of a collection: the schema's, and a photos gallery's own split (above). */
export function retrainDefaults(c: CollectionDomain): RetrainSettings {
  const photos = c.kind === 'object' && c.domain === 'photos';
  return retrainSettingsSchema.parse(photos ? { evaluationShare: PHOTO_HELD_OUT_SHARE, calibrationShare: PHOTO_HELD_OUT_SHARE, includeBaseData: baseDataPath(c) !== null } : {});
}

/** What the retraining form offers for a collection. */
export interface RetrainOptions {
  /** Defaults of every setting (`retrainDefaults`). */
  defaults: RetrainSettings;
  /** The base data set's name when present (else `includeBaseData` is refused and hidden). */
  baseData: string | null;
  /** Cap on `maxMinutes` (MAX_RETRAIN_MINUTES). */
  maxMinutes: number;
}

/** The retraining form's defaults for a collection (admin). */
export async function getRetrainOptions(caller: Principal, collectionId: string): Promise<RetrainOptions> {
  requireAdmin(caller, 'retraining');
  const c = await loadCollection(runtime().db, caller, collectionId);
  return { defaults: retrainDefaults(c), baseData: availableBaseData(c)?.name ?? null, maxMinutes: env.MAX_RETRAIN_MINUTES };
}

/** Starts a retraining job for a collection (admin; one job per collection at a time). */
export async function startRetrain(caller: Principal, collectionId: string, input: Partial<RetrainSettings>): Promise<JobDto> {
  requireAdmin(caller, 'retraining');
  const rt = runtime();
  const c = await loadCollection(rt.db, caller, collectionId);
  const parsed = retrainSettingsSchema.safeParse({ ...retrainDefaults(c), ...input });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError('invalid_settings', `settings.${issue.path.join('.')}: ${issue.message}`);
  }
  const settings = parsed.data;
  if (settings.maxMinutes > env.MAX_RETRAIN_MINUTES) throw new InputError('invalid_settings', `settings.maxMinutes must be at most ${env.MAX_RETRAIN_MINUTES} (MAX_RETRAIN_MINUTES), got ${settings.maxMinutes}`);
  if (settings.includeBaseData && !baseDataPath(c)) {
    // The detail names no server path (issue 16).
    throw new InputError('invalid_settings', `settings.includeBaseData: this server has no base training set for ${c.domain ?? c.kind} collections (drawings: Omniglot's omniglot-background, photos: grocery-store, under TRAINING_DATA_DIR; none for faces)`);
  }
  // Refused here rather than by the job, which would start and then fail on the same count.
  requireGallerySize(await countGalleryIdentities(rt.db, c.id));
  const job = await createJob(rt.db, { type: 'retrain', collectionId: c.id, params: { settings, fromModelVersion: c.modelVersion, actor: caller.actor }, owner: rt.instance.owner });
  processState().childJobs.start(rt.db, { jobId: job.id, ...entryLaunch('retrain-job') });
  return toJobDto(job);
}

/** A job (admin). */
export async function getJobStatus(caller: Principal, jobId: string): Promise<JobDto> {
  requireAdmin(caller, 'reading jobs');
  return toJobDto(await getJob(runtime().db, jobId));
}

/** Recent jobs, newest first, optionally of one collection (admin). */
export async function listJobStatuses(caller: Principal, opts: { collectionId?: string; limit?: number } = {}): Promise<{ items: JobDto[] }> {
  requireAdmin(caller, 'reading jobs');
  return { items: (await listJobs(runtime().db, { collectionId: opts.collectionId, limit: Math.min(Math.max(opts.limit ?? DEFAULT_JOB_LIST, 1), MAX_JOB_LIST) })).map(toJobDto) };
}

/** Cancels a queued or running job (admin); a switch job leaves the collection on its old model. */
export async function cancelJobRun(caller: Principal, jobId: string): Promise<JobDto> {
  requireAdmin(caller, 'cancelling jobs');
  const job = await cancelJob(runtime().db, jobId);
  processState().childJobs.stop(jobId);
  return toJobDto(job);
}
