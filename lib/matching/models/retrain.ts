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

/**
 * Path of the base training data of a collection, or null when absent here (the option is then
 * hidden): Omniglot's background set for drawings; none for photos or faces.
 */
export function baseDataPath(c: { kind: string; domain: string | null }): string | null {
  if (c.kind !== 'object' || c.domain === 'photos') return null;
  const zip = path.join(env.trainingDataDir, 'omniglot-background', 'images_background.zip');
  return existsSync(zip) ? zip : null;
}

/** What the retraining form offers for a collection. */
export interface RetrainOptions {
  /** Defaults of every setting. */
  defaults: RetrainSettings;
  /** Whether the base data set is present (else `includeBaseData` is refused and hidden). */
  baseDataAvailable: boolean;
  /** Cap on `maxMinutes` (MAX_RETRAIN_MINUTES). */
  maxMinutes: number;
}

/** The retraining form's defaults for a collection (admin). */
export async function getRetrainOptions(caller: Principal, collectionId: string): Promise<RetrainOptions> {
  requireAdmin(caller, 'retraining');
  const c = await loadCollection(runtime().db, caller, collectionId);
  return { defaults: retrainSettingsSchema.parse({}), baseDataAvailable: baseDataPath(c) !== null, maxMinutes: env.MAX_RETRAIN_MINUTES };
}

/** Starts a retraining job for a collection (admin; one job per collection at a time). */
export async function startRetrain(caller: Principal, collectionId: string, input: Partial<RetrainSettings>): Promise<JobDto> {
  requireAdmin(caller, 'retraining');
  const rt = runtime();
  const c = await loadCollection(rt.db, caller, collectionId);
  const parsed = retrainSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError('invalid_settings', `settings.${issue.path.join('.')}: ${issue.message}`);
  }
  const settings = parsed.data;
  if (settings.maxMinutes > env.MAX_RETRAIN_MINUTES) throw new InputError('invalid_settings', `settings.maxMinutes must be at most ${env.MAX_RETRAIN_MINUTES} (MAX_RETRAIN_MINUTES), got ${settings.maxMinutes}`);
  if (settings.includeBaseData && !baseDataPath(c)) {
    // The detail names no server path (issue 16).
    throw new InputError('invalid_settings', `settings.includeBaseData: this server has no base training set for ${c.domain ?? c.kind} collections (Omniglot's omniglot-background under TRAINING_DATA_DIR, drawing collections only)`);
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
