/**
 * Applies the committed migrations under prisma/<provider>/migrations at start, offline.
 * The Prisma CLI's schema engine cannot be downloaded here, so this runner applies the same
 * files in order and records them in `_prisma_migrations` exactly as `prisma migrate deploy`
 * does (sha256 checksum of migration.sql), so either tool can take over a database.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { AppError } from '@/lib/errors';
import type { DbTarget } from './client';
import { migrationsPath } from './schemas';

/** One migration folder. */
export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** What `migrate` did and the resulting state, for the health endpoint. */
export interface MigrationState {
  provider: DbTarget['provider'];
  applied: string[];
  newlyApplied: string[];
  pending: string[];
}

/** Lists the committed migrations of a provider, oldest first. */
export function listMigrations(root: string, provider: DbTarget['provider']): Migration[] {
  const dir = migrationsPath(root, provider);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const SQLITE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "checksum" TEXT NOT NULL,
    "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL,
    "logs" TEXT,
    "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

const POSTGRES_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/** An arbitrary constant: the PostgreSQL advisory lock that serialises migrating instances. */
const PG_LOCK_KEY = 72_707_369;

function checkApplied(applied: Map<string, string>, migrations: Migration[]): void {
  const known = new Map(migrations.map((m) => [m.name, m.checksum]));
  for (const [name, checksum] of applied) {
    const expected = known.get(name);
    if (!expected) {
      throw new AppError('migration_unknown', `database has migration ${name}, which this build does not know; deploy the newer build`);
    }
    if (expected !== checksum) {
      throw new AppError('migration_modified', `migration ${name} was modified after it was applied (checksum differs); restore the original file`);
    }
  }
}

function migrateSqlite(file: string, migrations: Migration[]): string[] {
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 10000');
    db.exec(SQLITE_TABLE);
    const newly: string[] = [];
    const lock = db.transaction(() => {
      const rows = db
        .prepare('SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL')
        .all() as { migration_name: string; checksum: string }[];
      const applied = new Map(rows.map((r) => [r.migration_name, r.checksum]));
      checkApplied(applied, migrations);
      for (const m of migrations) {
        if (applied.has(m.name)) continue;
        db.exec(m.sql);
        db.prepare(
          'INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES (?, ?, ?, ?, ?, 1)',
        ).run(randomUUID(), m.checksum, Date.now(), m.name, Date.now());
        newly.push(m.name);
      }
    });
    lock.immediate();
    return newly;
  } finally {
    db.close();
  }
}

async function migratePostgres(url: string, migrations: Migration[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PG_LOCK_KEY]);
    await client.query(POSTGRES_TABLE);
    const { rows } = await client.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const applied = new Map(rows.map((r) => [r.migration_name, r.checksum]));
    checkApplied(applied, migrations);
    const newly: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.name)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query(
          'INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 1)',
          [randomUUID(), m.checksum, m.name],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
      newly.push(m.name);
    }
    return newly;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PG_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}

/** Applies every pending migration of the target's provider; safe to call from several instances. */
export async function migrate(root: string, target: DbTarget): Promise<MigrationState> {
  const migrations = listMigrations(root, target.provider);
  const newlyApplied =
    target.provider === 'sqlite' ? migrateSqlite(target.url, migrations) : await migratePostgres(target.url, migrations);
  return { provider: target.provider, applied: migrations.map((m) => m.name), newlyApplied, pending: [] };
}
