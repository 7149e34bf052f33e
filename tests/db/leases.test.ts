// Issue 21: jobs carry their owner instance and a lease the owner's heartbeat renews; only an expired
// lease marks a job interrupted, whichever instance notices it. Times are passed in (`now`), so the
// test needs no sleeps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '@/lib/db/client';
import { heartbeatInstance, pruneInstances, registerInstance, removeInstance } from '@/lib/db/instances';
import { createJob, getJob, interruptExpiredJobs, interruptOwnedJobs, markRunning } from '@/lib/db/jobs';
import { openMigratedTestDb, suiteProvider } from '../helpers/db';

const LEASE_MS = 10_000;

describe(`job leases on ${suiteProvider()}`, () => {
  let db: Db;
  let close: () => Promise<void>;
  let n = 0;

  beforeAll(async () => {
    ({ db, close } = await openMigratedTestDb());
  });
  afterAll(() => close());

  /** A collection of its own per test, so one job per collection never collides across tests. */
  async function collection(): Promise<string> {
    n++;
    const c = await db.collection.create({ data: { name: `leases-${n}`, kind: 'object', modelVersion: 'v1', settings: {} } });
    return c.id;
  }

  async function instance(id: string) {
    return registerInstance(db, { id, host: 'test-host', pid: 4242 });
  }

  describe('createJob', () => {
    it('records the owner and a lease of leaseMs from now', async () => {
      await instance('owner-a');
      const before = Date.now();
      const job = await createJob(db, { type: 'switch', collectionId: await collection(), params: {}, owner: { instanceId: 'owner-a', leaseMs: LEASE_MS } });
      const row = await db.job.findUniqueOrThrow({ where: { id: job.id } });
      expect(row.ownerInstanceId).toBe('owner-a');
      expect(row.leaseExpiresAt!.getTime()).toBeGreaterThanOrEqual(before + LEASE_MS);
      expect(row.leaseExpiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + LEASE_MS);
    });

    it('refuses a second job of the collection under a live lease, and interrupts one whose lease expired', async () => {
      const collectionId = await collection();
      const first = await createJob(db, { type: 'retrain', collectionId, params: {}, owner: { instanceId: 'dead', leaseMs: LEASE_MS } });
      await expect(createJob(db, { type: 'switch', collectionId, params: {}, owner: { instanceId: 'alive', leaseMs: LEASE_MS } })).rejects.toMatchObject({ code: 'job_running' });
      await db.job.update({ where: { id: first.id }, data: { leaseExpiresAt: new Date(Date.now() - 1) } });
      const second = await createJob(db, { type: 'switch', collectionId, params: {}, owner: { instanceId: 'alive', leaseMs: LEASE_MS } });
      expect(second.status).toBe('queued');
      expect(await getJob(db, first.id)).toMatchObject({ status: 'interrupted', error: expect.stringContaining('lease expired') });
    });
  });

  describe('heartbeatInstance', () => {
    it("renews the leases of the instance's jobs that have not ended, and only those", async () => {
      await instance('beater');
      const t0 = new Date('2030-01-01T00:00:00Z');
      const mine = await createJob(db, { type: 'retrain', collectionId: await collection(), params: {}, owner: { instanceId: 'beater', leaseMs: LEASE_MS } });
      await markRunning(db, mine.id);
      const other = await createJob(db, { type: 'retrain', collectionId: await collection(), params: {}, owner: { instanceId: 'someone-else', leaseMs: LEASE_MS } });
      expect(await heartbeatInstance(db, { id: 'beater', host: 'test-host', pid: 4242, leaseMs: LEASE_MS, now: t0 })).toBe(1);
      expect((await db.job.findUniqueOrThrow({ where: { id: mine.id } })).leaseExpiresAt).toEqual(new Date(t0.getTime() + LEASE_MS));
      expect((await db.job.findUniqueOrThrow({ where: { id: other.id } })).leaseExpiresAt!.getTime()).toBeLessThan(t0.getTime());
      expect((await db.instance.findUniqueOrThrow({ where: { id: 'beater' } })).heartbeatAt).toEqual(t0);
    });

    it('writes the row again when a stalled instance was pruned meanwhile', async () => {
      await heartbeatInstance(db, { id: 'came-back', host: 'h', pid: 1, leaseMs: LEASE_MS });
      expect(await db.instance.findUnique({ where: { id: 'came-back' } })).toMatchObject({ host: 'h', pid: 1 });
    });
  });

  describe('interruptExpiredJobs', () => {
    it('leaves a job before its lease expires and marks it interrupted after, once', async () => {
      const collectionId = await collection();
      const job = await createJob(db, { type: 'retrain', collectionId, params: {}, owner: { instanceId: 'gone', leaseMs: LEASE_MS } });
      await markRunning(db, job.id);
      const expiry = (await db.job.findUniqueOrThrow({ where: { id: job.id } })).leaseExpiresAt!;
      expect(await interruptExpiredJobs(db, { collectionId, now: new Date(expiry.getTime() - 1) })).toEqual([]);
      expect((await getJob(db, job.id)).status).toBe('running');
      expect(await interruptExpiredJobs(db, { collectionId, now: new Date(expiry.getTime() + 1) })).toEqual([job.id]);
      expect(await getJob(db, job.id)).toMatchObject({ status: 'interrupted', finishedAt: expect.any(Date) });
      expect(await interruptExpiredJobs(db, { collectionId, now: new Date(expiry.getTime() + 1) })).toEqual([]);
    });

    it('marks a job without a lease (written before leases existed)', async () => {
      const collectionId = await collection();
      const row = await db.job.create({ data: { type: 'retrain', collectionId, status: 'running' } });
      expect(await interruptExpiredJobs(db, { collectionId })).toEqual([row.id]);
    });
  });

  describe('interruptOwnedJobs', () => {
    it("ends the stopping instance's active jobs with the given reason", async () => {
      const job = await createJob(db, { type: 'switch', collectionId: await collection(), params: {}, owner: { instanceId: 'stopping', leaseMs: LEASE_MS } });
      expect(await interruptOwnedJobs(db, 'stopping', 'stopped')).toBe(1);
      expect(await getJob(db, job.id)).toMatchObject({ status: 'interrupted', error: 'stopped' });
    });
  });

  describe('pruneInstances and removeInstance', () => {
    it('prunes instances silent for longer than the lease, and removes one at its clean stop', async () => {
      const now = new Date('2031-01-01T00:00:00Z');
      await heartbeatInstance(db, { id: 'silent', host: 'h', pid: 2, leaseMs: LEASE_MS, now: new Date(now.getTime() - LEASE_MS - 1) });
      await heartbeatInstance(db, { id: 'recent', host: 'h', pid: 3, leaseMs: LEASE_MS, now: new Date(now.getTime() - LEASE_MS + 1) });
      await pruneInstances(db, LEASE_MS, now);
      expect(await db.instance.findUnique({ where: { id: 'silent' } })).toBeNull();
      expect(await db.instance.findUnique({ where: { id: 'recent' } })).not.toBeNull();
      await removeInstance(db, 'recent');
      expect(await db.instance.findUnique({ where: { id: 'recent' } })).toBeNull();
    });
  });
});
