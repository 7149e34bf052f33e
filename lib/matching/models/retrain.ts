/**
 * Retraining from the dashboard (issue 8): start a training job for a collection's model, follow
 * it, cancel it. The job runs in a child process (./retrain-job.ts) and reports through its job row.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { entryLaunch } from '@/lib/config/entry-points';
import { env } from '@/lib/config/env';
import { InputError } from '@/lib/errors';
import { cancelJob, createJob, getJob, listJobs, type JobRecord } from '@/lib/jobs';
import type { Principal } from '@/lib/auth';
import { requireAdmin } from '@/lib/matching/caller';
import { loadCollection, runtime } from '@/lib/matching/context';
import { processState } from '@/lib/matching/process-state';
import { countGalleryIdentities, requireGallerySize } from './gallery-dataset';

/** Settings of a retraining job; every field has a safe default (a few minutes on wasm). */
export const retrainSettingsSchema = z.strictObject({
  /** Epochs of fine-tuning from the current model's weights. */
  epochs: z.number().int().min(1).max(200).default(6),
  /** Steps (P x K batches) per epoch. */
  stepsPerEpoch: z.number().int().min(1).max(1000).default(20),
  /** Adam learning rate (lower than from scratch: this fine-tunes). */
  learningRate: z.number().gt(0).max(0.01).default(5e-4),
  /** Stop training after the epoch that passes this many minutes (then calibrate and compare). */
  maxMinutes: z.number().gt(0).default(10),
  /** Add the base training set of the model's kind (Omniglot background for objects) when present. */
  includeBaseData: z.boolean().default(false),
  /** Share of gallery identities held out of training to compare candidate and current. */
  evaluationShare: z.number().min(0.1).max(0.5).default(0.3),
  /** Share of gallery identities held out to calibrate the candidate's thresholds. */
  calibrationShare: z.number().min(0.1).max(0.4).default(0.2),
  /** Seed of the split, the sampling and the bootstrap. */
  seed: z.number().int().min(0).default(1),
});

/** Resolved retraining settings. */
export type RetrainSettings = z.infer<typeof retrainSettingsSchema>;

/** A job as the API returns it: the stored job with ISO times. */
export type JobDto = Omit<JobRecord, 'createdAt' | 'startedAt' | 'finishedAt'> & { createdAt: string; startedAt: string | null; finishedAt: string | null };

/** The job as the API shows it. */
export function toJobDto(j: JobRecord): JobDto {
  return { ...j, createdAt: j.createdAt.toISOString(), startedAt: j.startedAt?.toISOString() ?? null, finishedAt: j.finishedAt?.toISOString() ?? null };
}

/** Path of the base training data of a kind, or null when absent here (the option is then hidden). */
export function baseDataPath(kind: string): string | null {
  if (kind !== 'object') return null;
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
  return { defaults: retrainSettingsSchema.parse({}), baseDataAvailable: baseDataPath(c.kind) !== null, maxMinutes: env.MAX_RETRAIN_MINUTES };
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
  if (settings.includeBaseData && !baseDataPath(c.kind)) {
    // The detail names no server path (issue 16).
    throw new InputError('invalid_settings', `settings.includeBaseData: this server has no base training set for ${c.kind} collections (Omniglot's omniglot-background under TRAINING_DATA_DIR, object collections only)`);
  }
  // Refused here rather than by the job, which would start and then fail on the same count.
  requireGallerySize(await countGalleryIdentities(rt.db, c.id));
  const job = await createJob(rt.db, { type: 'retrain', collectionId: c.id, params: { settings, fromModelVersion: c.modelVersion, actor: caller.actor } });
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
  return { items: (await listJobs(runtime().db, { collectionId: opts.collectionId, limit: Math.min(Math.max(opts.limit ?? 20, 1), 100) })).map(toJobDto) };
}

/** Cancels a queued or running job (admin); a switch job leaves the collection on its old model. */
export async function cancelJobRun(caller: Principal, jobId: string): Promise<JobDto> {
  requireAdmin(caller, 'cancelling jobs');
  const job = await cancelJob(runtime().db, jobId);
  processState().childJobs.stop(jobId);
  return toJobDto(job);
}
