/**
 * The Prisma client singleton: SQLite (better-sqlite3) by default, PostgreSQL (pg) when
 * DATABASE_URL says so. Both generated clients come from schemas that differ only in
 * `provider` (tests/db/schemas.test.ts), so one type serves both.
 */
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as SqliteClient } from './generated/sqlite/client';
import { PrismaClient as PostgresClient } from './generated/postgresql/client';
import type { DbProvider } from './schemas';

/** The database client type shared by both providers. */
export type Db = InstanceType<typeof SqliteClient>;

/** A transaction client, as `db.$transaction(async (tx) => …)` hands it. */
export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/** Either the client or a transaction client: every repository function takes this. */
export type DbOrTx = Db | Tx;

/** Prisma's error codes the use cases tell apart (https://www.prisma.io/docs/orm/reference/error-reference). */
const PRISMA_CODES = { unique: 'P2002', foreignKey: 'P2003', notFound: 'P2025' } as const;

/**
 * True when `err` is the database's error of that kind: a unique-constraint violation, a foreign key
 * that failed (its row was deleted meanwhile), or a row an update or delete needed that is gone.
 */
export function isDbError(err: unknown, kind: keyof typeof PRISMA_CODES): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === PRISMA_CODES[kind];
}

/** Where a database lives: a SQLite file or a PostgreSQL URL. */
export interface DbTarget {
  provider: DbProvider;
  /** SQLite file path, or PostgreSQL connection string. */
  url: string;
}

/** Resolves DATABASE_URL and DATA_DIR into a database target. */
export function resolveDbTarget(databaseUrl: string | undefined, dataDir: string): DbTarget {
  if (databaseUrl && /^postgres(ql)?:\/\//.test(databaseUrl)) return { provider: 'postgresql', url: databaseUrl };
  if (databaseUrl && databaseUrl.startsWith('file:')) {
    return { provider: 'sqlite', url: path.resolve(databaseUrl.slice('file:'.length)) };
  }
  if (databaseUrl) throw new Error(`DATABASE_URL must start with postgresql:// or file:, got "${databaseUrl.split(':')[0]}:"`);
  return { provider: 'sqlite', url: path.join(dataDir, 'fewshot.db') };
}

/**
 * Interactive transactions' limits. Prisma's defaults (wait 2 s for a connection, 5 s to commit)
 * failed enrolments with a 500 (P2028, "expired transaction", 5.2 s) at 16 clients on a loaded
 * 2-core machine (issue 21's HTTP bench on PostgreSQL): a transaction that queues behind the
 * collection's row lock is slow, not wrong. Generous limits still end a stuck one.
 */
const TRANSACTION_OPTIONS = { maxWait: 30_000, timeout: 60_000 } as const;

/** Opens a new client for a target (callers own its lifetime; the app uses `getDb`). */
export function openDb(target: DbTarget): Db {
  if (target.provider === 'postgresql') {
    const client = new PostgresClient({ adapter: new PrismaPg({ connectionString: target.url }), transactionOptions: TRANSACTION_OPTIONS });
    return client as unknown as Db;
  }
  mkdirSync(path.dirname(target.url), { recursive: true });
  // WAL lets readers proceed during a write; busy_timeout waits out a concurrent writer.
  const adapter = new PrismaBetterSqlite3({ url: target.url, timeout: 10_000 });
  return new SqliteClient({ adapter, transactionOptions: TRANSACTION_OPTIONS });
}
