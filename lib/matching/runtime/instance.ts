/**
 * This process as one instance of the service (issue 21): registered in the `Instance` table at
 * start, heartbeated every `INSTANCE_HEARTBEAT_MS`. Each beat renews the leases of the jobs this
 * instance owns, marks interrupted the jobs whose lease ran out (whoever owned them) and prunes the
 * rows of dead instances; a clean stop interrupts what it owns and removes its row.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '@/lib/db/client';
import { heartbeatInstance, pruneInstances, registerInstance, removeInstance } from '@/lib/db/instances';
import { interruptExpiredJobs, interruptOwnedJobs, JOB_STOPPED, type JobOwner } from '@/lib/jobs';

/** A registered, heartbeating instance. */
export interface Instance {
  /** Random per process start. */
  id: string;
  /** What `createJob` records for a job this instance runs. */
  owner: JobOwner;
  /** Stops the heartbeat, interrupts the jobs this instance owns and removes its row. */
  stop: () => Promise<void>;
}

/** Registers this process, marks jobs with an expired lease interrupted, and starts the heartbeat. */
export async function startInstance(db: Db, opts: { heartbeatMs: number; leaseMs: number }): Promise<Instance> {
  const self = { id: randomUUID(), host: hostname(), pid: process.pid };
  await registerInstance(db, self);
  const interrupted = await interruptExpiredJobs(db);
  if (interrupted.length > 0) console.info(`[instance] marked ${interrupted.length} job(s) interrupted: their lease expired`);
  const beat = async () => {
    await heartbeatInstance(db, { ...self, leaseMs: opts.leaseMs });
    const expired = await interruptExpiredJobs(db);
    if (expired.length > 0) console.info(`[instance] marked job(s) ${expired.join(', ')} interrupted: their lease expired`);
    await pruneInstances(db, opts.leaseMs);
  };
  // One beat at a time: a slow database must not pile them up.
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(beat).catch((err: Error) => console.error(`[instance] heartbeat failed (jobs' leases not renewed): ${err.message}`));
  }, opts.heartbeatMs);
  timer.unref();
  return {
    id: self.id,
    owner: { instanceId: self.id, leaseMs: opts.leaseMs },
    stop: async () => {
      clearInterval(timer);
      await running;
      await interruptOwnedJobs(db, self.id, JOB_STOPPED);
      await removeInstance(db, self.id);
    },
  };
}
