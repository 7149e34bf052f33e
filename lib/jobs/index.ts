/** `lib/jobs`: background jobs persisted in the database, run in-process or in a child process. */
export { createJob, refuseWhileJobRuns, getJob, listJobs, markRunning, reportProgress, finishJob, cancelJob, markInterrupted, FINAL_STATUSES } from './store';
export type { JobRecord, JobStatus, JobType } from './store';
export { ChildJobs, runJobChild, type ChildJobOptions } from './child';
