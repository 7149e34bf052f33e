/** `lib/jobs`: background jobs persisted in the database, run in-process or in a child process. */
export { createJob, refuseWhileJobRuns, getJob, listJobs, markRunning, reportProgress, finishJob, cancelJob, interruptExpiredJobs, interruptOwnedJobs, switchJobParams, FINAL_STATUSES } from '@/lib/db/jobs';
export type { JobOwner, JobRecord, JobStatus, JobType } from '@/lib/db/jobs';
export { ChildJobs, JOB_STOPPED, runJobChild, type ChildJobOptions } from './child';
