// A fresh, empty database for one test file: a temporary SQLite file, or a new database on the
// throwaway PostgreSQL cluster that scripts/test.sh starts (TEST_PG_URL).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDb, type Db, type DbTarget } from '@/lib/db/client';
import { migrate } from '@/lib/db/migrate';
import type { DbProvider } from '@/lib/db/schemas';

/** The provider the current integration suite runs on (TEST_DB, default sqlite). */
export function suiteProvider(): DbProvider {
  return process.env.TEST_DB === 'postgresql' ? 'postgresql' : 'sqlite';
}

/** The PostgreSQL server URL, or null when no cluster was started. */
export function pgServerUrl(): string | null {
  return process.env.TEST_PG_URL ?? null;
}

/** Creates an empty database of `provider` (PostgreSQL: on `server`, TEST_PG_URL by default); `drop()` removes it. */
export async function createTestDatabase(provider: DbProvider, server = pgServerUrl()): Promise<{ target: DbTarget; drop: () => Promise<void> }> {
  if (provider === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'fewshot-db-'));
    return { target: { provider, url: path.join(dir, 'test.db') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (!server) throw new Error('TEST_PG_URL is not set: run the suite through `npm test`, which starts PostgreSQL');
  const name = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    target: { provider, url: url.toString() },
    drop: async () => {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A migrated database of the suite's provider with a client; `close()` disconnects and drops it. */
export async function openMigratedTestDb(): Promise<{ db: Db; close: () => Promise<void> }> {
  const created = await createTestDatabase(suiteProvider());
  await migrate(path.resolve(import.meta.dirname, '../..'), created.target);
  const db = openDb(created.target);
  return {
    db,
    close: async () => {
      await db.$disconnect();
      await created.drop();
    },
  };
}
