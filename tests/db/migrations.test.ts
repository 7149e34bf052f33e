import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbTarget } from '@/lib/db/client';
import { listMigrations, migrate } from '@/lib/db/migrate';
import { Prisma } from '@/lib/db/generated/sqlite/client';
import { createTestDatabase, pgServerUrl } from '../helpers/db';
import { introspect, type Model } from '../helpers/introspect';

const root = path.resolve(import.meta.dirname, '../..');

describe.skipIf(!pgServerUrl())('migrate (both histories from empty)', () => {
  const dbs: { target: DbTarget; drop: () => Promise<void> }[] = [];
  let sqlite: Model;
  let postgres: Model;

  beforeAll(async () => {
    for (const provider of ['sqlite', 'postgresql'] as const) dbs.push(await createTestDatabase(provider));
    for (const db of dbs) {
      const state = await migrate(root, db.target);
      expect(state.newlyApplied).toEqual(listMigrations(root, db.target.provider).map((m) => m.name));
    }
    [sqlite, postgres] = await Promise.all(dbs.map((d) => introspect(d.target)));
  });
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it('keeps the two migration histories in step (same migration names)', () => {
    expect(listMigrations(root, 'sqlite').map((m) => m.name)).toEqual(listMigrations(root, 'postgresql').map((m) => m.name));
  });

  it('builds the same tables, columns, keys, indexes and foreign keys on SQLite and PostgreSQL', () => {
    expect(Object.keys(postgres).sort()).toEqual(Object.keys(sqlite).sort());
    for (const table of Object.keys(sqlite)) expect({ table, ...postgres[table] }).toEqual({ table, ...sqlite[table] });
  });

  it('matches the Prisma models: every model is a table with exactly its scalar fields as columns', () => {
    const models = Object.values(Prisma.ModelName).sort();
    expect(Object.keys(sqlite).sort()).toEqual(models);
    for (const model of models) {
      const fields = Object.values((Prisma as unknown as Record<string, Record<string, string>>)[`${model}ScalarFieldEnum`]).sort();
      expect({ model, columns: sqlite[model].columns.map((c) => c.name).sort() }).toEqual({ model, columns: fields });
    }
  });

  it('is idempotent: a second run applies nothing', async () => {
    for (const db of dbs) expect((await migrate(root, db.target)).newlyApplied).toEqual([]);
  });
});
