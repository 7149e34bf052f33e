// GET /api/health: 503 while the runtime starts (database, TF.js backend, models), then 200 with
// the version, the backend, the database kind, the migration state and the loaded models.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMigrations } from '@/lib/db/migrate';
import { prepare, type Prepared } from '../service/harness';

let prepared: Prepared;

beforeAll(async () => {
  prepared = await prepare();
  Object.assign(process.env, prepared.env);
});

afterAll(async () => {
  const svc = await import('@/lib/matching/index');
  await svc.stopRuntime();
  await prepared.cleanup();
});

describe('GET /api/health', () => {
  it('answers 503 until the runtime is ready, then 200 with what it loaded', async () => {
    const { GET } = await import('@/app/api/health/route');
    const starting = GET();
    expect(starting.status).toBe(503);
    expect(await starting.json()).toMatchObject({ status: 'starting', backend: null, models: [] });

    const svc = await import('@/lib/matching/index');
    await svc.startRuntime();
    const ready = GET();
    expect(ready.status).toBe(200);
    expect(ready.headers.get('cache-control')).toBe('no-store');
    const body = await ready.json();
    const migrations = listMigrations(path.resolve(import.meta.dirname, '../..'), prepared.target.provider).map((m) => m.name);
    expect(body).toMatchObject({
      status: 'ready',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      backend: 'wasm',
      database: { kind: prepared.target.provider, migrations: { applied: migrations.length, latest: migrations.at(-1), pending: 0 } },
    });
    // Object models: the drawings default and the photos default (issue 19).
    expect(body.models.map((m: { kind: string }) => m.kind).sort()).toEqual(['face', 'object', 'object']);
  });
});
