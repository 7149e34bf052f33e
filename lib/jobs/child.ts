/**
 * Runs a job in a child process (training must not share the server's event loop or its TF.js
 * worker). The child is a TypeScript entry run through tsx; it reports through the job row, so the
 * parent only starts it, stops it on cancel, and records an exit the child could not report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Db } from '@/lib/db/client';
import { finishJob } from './store';

/** Local children by job id, each with a promise that settles once its exit is recorded. */
const children = new Map<string, { child: ChildProcess; exited: Promise<void> }>();

/** Options of `startChildJob`. */
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

/** Starts the child; when it exits without ending its job row, the job is marked failed. */
export function startChildJob(db: Db, opts: ChildJobOptions): ChildProcess {
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
          children.delete(opts.jobId);
          resolve();
        });
    });
  });
  children.set(opts.jobId, { child, exited });
  return child;
}

/** Settles once the job's local child has exited and the exit is recorded; at once when none runs here. */
export function childJobExited(jobId: string): Promise<void> {
  return children.get(jobId)?.exited ?? Promise.resolve();
}

/** Stops the local child of a job (after its row was cancelled); no-op when it runs elsewhere. */
export function stopChildJob(jobId: string): void {
  children.get(jobId)?.child.kill('SIGTERM');
}

/** Stops every child (server shutdown). */
export function stopAllChildJobs(): void {
  for (const { child } of children.values()) child.kill('SIGTERM');
}
