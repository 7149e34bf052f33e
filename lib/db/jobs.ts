/**
 * Job rows: a background job's status, progress and result, persisted so a page reload (or another
 * app instance) sees the same state, and a restart can mark what it interrupted.
 *
 * Status moves queued -> running -> succeeded | failed | cancelled; a clean stop of the instance
 * that owns a job, or the job's lease running out (issue 21: its owner died or stalled), turns queued
 * and running into `interrupted`. Leases are renewed by the owner's heartbeat (lib/db/instances.ts)
 * and checked by every instance, at start, on each heartbeat and before a new job of the collection.
 * Cancelling only flips the row: the job sees it on its next progress write (`reportProgress`
 * answers false) and stops, wherever it runs.
 */
import { z } from 'zod';
import { ConflictError, NotFoundError } from '@/lib/errors';
import type { Db } from './client';
import { jsonInput, jsonObjectSchema, parseColumn, parseNullableColumn, type JsonObject } from './json';

/** Job kinds: training a candidate model, and switching a collection to a model version. */
export type JobType = 'retrain' | 'switch';

/** Job status. */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** Statuses a job never leaves. */
export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

/** Statuses of a job that has not ended. */
const ACTIVE: JobStatus[] = ['queued', 'running'];

/** A job as stored. */
export interface JobRecord {
  id: string;
  type: JobType;
  collectionId: string | null;
  status: JobStatus;
  params: JsonObject;
  progress: JsonObject | null;
  result: JsonObject | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

type Row = NonNullable<Awaited<ReturnType<Db['job']['findUnique']>>>;

/** `Job.params` of a switch job: the versions it moves between, why, and who asked. */
export const switchJobParamsSchema = z.object({ from: z.string(), to: z.string(), reason: z.enum(['promote', 'rollback']), actor: z.string() });

/** A switch job's params, parsed (`StoredValueError` when the row is not a switch job's). */
export function switchJobParams(job: JobRecord): z.infer<typeof switchJobParamsSchema> {
  return parseColumn(switchJobParamsSchema, job.params, { column: 'Job.params', id: job.id });
}

function toRecord(r: Row): JobRecord {
  const at = (column: string) => ({ column: `Job.${column}`, id: r.id });
  return {
    id: r.id, type: r.type as JobType, collectionId: r.collectionId, status: r.status as JobStatus,
    params: parseColumn(jsonObjectSchema, r.params ?? {}, at('params')), progress: parseNullableColumn(jsonObjectSchema, r.progress, at('progress')),
    result: parseNullableColumn(jsonObjectSchema, r.result, at('result')), error: r.error, createdAt: r.createdAt, startedAt: r.startedAt, finishedAt: r.finishedAt,
  };
}

/** Who runs a new job: the instance whose heartbeat renews its lease, and the lease's length. */
export interface JobOwner {
  instanceId: string;
  leaseMs: number;
}

/**
 * Creates a queued job owned by `owner`, refusing (409 `job_running`) while another job of the same
 * collection is queued or running under a live lease: one job at a time per collection, so a switch
 * never races a retrain's evaluation.
 */
export async function createJob(db: Db, input: { type: JobType; collectionId: string; params: JsonObject; owner: JobOwner }): Promise<JobRecord> {
  return db.$transaction(async (tx) => {
    await refuseWhileJobRuns(tx, input.collectionId);
    const lease = { ownerInstanceId: input.owner.instanceId, leaseExpiresAt: new Date(Date.now() + input.owner.leaseMs) };
    return toRecord(await tx.job.create({ data: { type: input.type, collectionId: input.collectionId, status: 'queued', params: jsonInput(input.params), ...lease } }));
  });
}

/** Throws 409 `job_running` while a job of the collection is queued or running (a job whose lease ran out is interrupted first). */
export async function refuseWhileJobRuns(db: Pick<Db, 'job'>, collectionId: string): Promise<void> {
  await interruptExpiredJobs(db, { collectionId });
  const busy = await db.job.findFirst({ where: { collectionId, status: { in: ACTIVE } }, select: { id: true, type: true } });
  if (busy) throw new ConflictError('job_running', `job ${busy.id} (${busy.type}) is still running for this collection; wait for it or cancel it`, { jobId: busy.id });
}

/** A job by id, or `job_not_found`. */
export async function getJob(db: Db, id: string): Promise<JobRecord> {
  const row = await db.job.findUnique({ where: { id } });
  if (!row) throw new NotFoundError('job_not_found', `no job with id ${id}`);
  return toRecord(row);
}

/** Jobs newest first, optionally of one collection. */
export async function listJobs(db: Db, opts: { collectionId?: string; limit: number }): Promise<JobRecord[]> {
  const rows = await db.job.findMany({ where: opts.collectionId ? { collectionId: opts.collectionId } : {}, orderBy: { createdAt: 'desc' }, take: opts.limit });
  return rows.map(toRecord);
}

/** queued -> running; false when the job is no longer queued (cancelled before it started). */
export async function markRunning(db: Db, id: string): Promise<boolean> {
  const { count } = await db.job.updateMany({ where: { id, status: 'queued' }, data: { status: 'running', startedAt: new Date() } });
  return count === 1;
}

/** Stores progress of a running job; false when it is no longer running (cancelled: stop). */
export async function reportProgress(db: Db, id: string, progress: JsonObject): Promise<boolean> {
  const { count } = await db.job.updateMany({ where: { id, status: 'running' }, data: { progress: jsonInput(progress) } });
  return count === 1;
}

/** Ends a running or queued job (`interrupted`: the service stopped it); false when it had already ended (e.g. cancelled). */
export async function finishJob(
  db: Db,
  id: string,
  end: { status: 'succeeded'; result: JsonObject } | { status: 'failed' | 'interrupted'; error: string },
): Promise<boolean> {
  const data = end.status === 'succeeded' ? { status: end.status, result: jsonInput(end.result) } : { status: end.status, error: end.error };
  const { count } = await db.job.updateMany({ where: { id, status: { in: ACTIVE } }, data: { ...data, finishedAt: new Date() } });
  return count === 1;
}

/** Cancels a queued or running job; `job_finished` (409) when it already ended. */
export async function cancelJob(db: Db, id: string): Promise<JobRecord> {
  const { count } = await db.job.updateMany({ where: { id, status: { in: ACTIVE } }, data: { status: 'cancelled', finishedAt: new Date() } });
  const job = await getJob(db, id);
  if (count === 0) throw new ConflictError('job_finished', `job ${id} already ended (${job.status})`);
  return job;
}

/** What a job whose lease ran out reads. */
const LEASE_EXPIRED = 'the instance running the job stopped (its lease expired without a heartbeat); start it again';

/**
 * Marks `interrupted` the queued or running jobs whose lease expired before `now` (their owner died
 * or stalled), or that have none (written before leases existed), optionally of one collection.
 * Any instance may call it: the update re-checks the lease, so a renewal that won the race keeps its job.
 * Returns the ids it marked.
 */
export async function interruptExpiredJobs(db: Pick<Db, 'job'>, opts: { collectionId?: string; now?: Date } = {}): Promise<string[]> {
  const where = {
    status: { in: ACTIVE },
    OR: [{ leaseExpiresAt: null }, { leaseExpiresAt: { lt: opts.now ?? new Date() } }],
    ...(opts.collectionId ? { collectionId: opts.collectionId } : {}),
  };
  const stale = await db.job.findMany({ where, select: { id: true } });
  if (stale.length === 0) return [];
  const marked: string[] = [];
  for (const { id } of stale) {
    const { count } = await db.job.updateMany({ where: { ...where, id }, data: { status: 'interrupted', finishedAt: new Date(), error: LEASE_EXPIRED } });
    if (count === 1) marked.push(id);
  }
  return marked;
}

/** A clean stop: the jobs `instanceId` owns that have not ended read `interrupted` with `error`. Returns how many. */
export async function interruptOwnedJobs(db: Db, instanceId: string, error: string): Promise<number> {
  const { count } = await db.job.updateMany({ where: { ownerInstanceId: instanceId, status: { in: ACTIVE } }, data: { status: 'interrupted', finishedAt: new Date(), error } });
  return count;
}
