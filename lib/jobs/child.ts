/**
 * Runs a job in a child process (training must not share the server's event loop or its TF.js
 * worker). The child is a TypeScript entry run through tsx; it reports through the job row, so the
 * parent only starts it, stops it on cancel, and records an exit the child could not report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Db } from '@/lib/db/client';
import { finishJob } from '@/lib/db/jobs';

/** Options of `ChildJobs.start`. */
export interface ChildJobOptions {
  /** Job id (the argument of the entry's export). */
  jobId: string;
  /** The TypeScript module that runs the job (absolute path). */
  entry: string;
  /** Its export to call with the job id. */
  exportName: string;
  /** Repository root (holds tsconfig.json and node_modules/tsx). */
  root: string;
}

/** What a job stopped by the shutdown reads (a restart's word is in `markInterrupted`). */
const STOPPED = 'the service stopped while the job ran; start it again';

/**
 * The job children this process started, by job id, each with a promise that settles once its exit
 * is recorded. One instance per process (lib/matching's process state), so the shutdown sees every child.
 */
export class ChildJobs {
  private readonly children = new Map<string, { db: Db; child: ChildProcess; exited: Promise<void> }>();

  /** Starts the child; when it exits without ending its job row, the job is marked failed. */
  start(db: Db, opts: ChildJobOptions): ChildProcess {
    const bootstrap = path.join(/*turbopackIgnore: true*/ opts.root, 'lib', 'jobs', 'child-entry.mjs');
    const args = [bootstrap, opts.entry, path.join(opts.root, 'tsconfig.json'), opts.exportName, opts.jobId];
    const child = spawn(process.execPath, args, {
      cwd: opts.root, // the environment is inherited: the child reads the same configuration
      stdio: ['ignore', 'inherit', 'inherit'],
    });
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
        await finishJob(db, jobId, { status: 'interrupted', error: STOPPED }).catch((err) => console.error(`[jobs] ${jobId}: could not record the stop:`, err));
        child.kill('SIGTERM');
        await exited;
      }),
    );
  }
}
