/**
 * Runs a job in a child process (training must not share the server's event loop or its TF.js
 * worker). The child is an entry point (lib/config/entry-points.ts: its bundle under `npm start`)
 * whose body is `runJobChild`; it reports through the job row, so the parent only starts it, stops
 * it on cancel, and records an exit the child could not report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Db } from '@/lib/db/client';
import { finishJob } from '@/lib/db/jobs';

/** Options of `ChildJobs.start`. */
export interface ChildJobOptions {
  /** Job id (the child's last argument). */
  jobId: string;
  /** The script Node runs (lib/config `entryLaunch`: a bundle, or the TypeScript loader). */
  script: string;
  /** Arguments before the job id (the TypeScript source when running from source). */
  argv: string[];
}

/** What a job stopped by the shutdown of its instance reads (an expired lease's word is in `interruptExpiredJobs`). */
export const JOB_STOPPED = 'the service stopped while the job ran; start it again';

/**
 * The job children this process started, by job id, each with a promise that settles once its exit
 * is recorded. One instance per process (lib/matching's process state), so the shutdown sees every child.
 */
export class ChildJobs {
  private readonly children = new Map<string, { db: Db; child: ChildProcess; exited: Promise<void> }>();

  /** Starts the child; when it exits without ending its job row, the job is marked failed. */
  start(db: Db, opts: ChildJobOptions): ChildProcess {
    // The working directory and the environment are inherited: the child reads the same configuration.
    const child = spawn(process.execPath, [opts.script, ...opts.argv, opts.jobId], { stdio: ['ignore', 'inherit', 'inherit'] });
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        void finishJob(db, opts.jobId, { status: 'failed', error: `the job process exited (${signal ?? `code ${code}`}) before it finished` })
          .catch((err) => console.error(`[jobs] ${opts.jobId}: could not record the exit:`, err))
          .finally(() => {
            this.children.delete(opts.jobId);
            resolve();
          });
      });
    });
    this.children.set(opts.jobId, { db, child, exited });
    return child;
  }

  /** Settles once the job's local child has exited and the exit is recorded; at once when none runs here. */
  exited(jobId: string): Promise<void> {
    return this.children.get(jobId)?.exited ?? Promise.resolve();
  }

  /** Stops the local child of a job (after its row was cancelled); no-op when it runs elsewhere. */
  stop(jobId: string): void {
    this.children.get(jobId)?.child.kill('SIGTERM');
  }

  /** Server shutdown: each child's job reads `interrupted`, then the child is stopped; settles once every exit is recorded. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.children.entries()].map(async ([jobId, { db, child, exited }]) => {
        await finishJob(db, jobId, { status: 'interrupted', error: JOB_STOPPED }).catch((err) => console.error(`[jobs] ${jobId}: could not record the stop:`, err));
        child.kill('SIGTERM');
        await exited;
      }),
    );
  }
}

/**
 * The body of a job's child process: runs `run` with the job id of its command line, then exits,
 * whatever handles TF.js left open (1 when `run` threw; the parent then marks the job failed).
 */
export async function runJobChild(run: (jobId: string) => Promise<void>): Promise<never> {
  const jobId = process.argv[2];
  try {
    await run(jobId);
    process.exit(0);
  } catch (err) {
    console.error(`[job ${jobId}]`, err);
    process.exit(1);
  }
}
