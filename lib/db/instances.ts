/**
 * Instance rows (issue 21): every server process registers with a random id, then heartbeats. The
 * heartbeat also renews the leases of the jobs the instance owns (lib/db/jobs.ts); a job whose lease
 * ran out belongs to a dead (or stalled) instance, and whichever instance notices marks it interrupted.
 *
 * Times are the instances' own clocks: their skew must stay well under `JOB_LEASE_MS` (NTP does).
 */
import type { Db } from './client';

/** An instance as stored. */
export interface InstanceRecord {
  id: string;
  host: string;
  pid: number;
  startedAt: Date;
  heartbeatAt: Date;
}

/** Registers a starting instance (its first heartbeat). */
export async function registerInstance(db: Db, input: { id: string; host: string; pid: number }): Promise<InstanceRecord> {
  const now = new Date();
  return db.instance.create({ data: { ...input, startedAt: now, heartbeatAt: now } });
}

/**
 * One heartbeat at `now`: the instance's row, and the lease of every job it owns that has not ended,
 * renewed to `now + leaseMs`. Returns how many leases it renewed. A row pruned meanwhile (the instance
 * stalled past its lease) is written again: the instance is alive, though its jobs were interrupted.
 */
export async function heartbeatInstance(db: Db, input: { id: string; host: string; pid: number; leaseMs: number; now?: Date }): Promise<number> {
  const now = input.now ?? new Date();
  const { id, host, pid } = input;
  await db.instance.upsert({ where: { id }, create: { id, host, pid, startedAt: now, heartbeatAt: now }, update: { heartbeatAt: now } });
  const { count } = await db.job.updateMany({
    where: { ownerInstanceId: id, status: { in: ['queued', 'running'] } },
    data: { leaseExpiresAt: new Date(now.getTime() + input.leaseMs) },
  });
  return count;
}

/** Removes the rows of instances silent for longer than `leaseMs` (dead: their jobs' leases have run out too). */
export async function pruneInstances(db: Db, leaseMs: number, now = new Date()): Promise<number> {
  const { count } = await db.instance.deleteMany({ where: { heartbeatAt: { lt: new Date(now.getTime() - leaseMs) } } });
  return count;
}

/** A clean stop: the instance's row goes (its jobs were ended first). */
export async function removeInstance(db: Db, id: string): Promise<void> {
  await db.instance.deleteMany({ where: { id } });
}
