// Reads a database's tables, columns, keys, indexes and foreign keys into one normalised shape,
// so a SQLite and a PostgreSQL database built from the two migration histories can be compared.
import Database from 'better-sqlite3';
import pg from 'pg';
import type { DbTarget } from '@/lib/db/client';

export interface Column { name: string; type: string; nullable: boolean }
export interface Index { columns: string[]; unique: boolean }
export interface ForeignKey { column: string; table: string; references: string; onDelete: string }
export interface Table { columns: Column[]; primaryKey: string[]; indexes: Index[]; foreignKeys: ForeignKey[] }
export type Model = Record<string, Table>;

const TYPES: Record<string, string> = {
  text: 'string', integer: 'int', serial: 'int', real: 'float', 'double precision': 'float', jsonb: 'json',
  datetime: 'datetime', 'timestamp without time zone': 'datetime', 'timestamp(3)': 'datetime', blob: 'bytes', bytea: 'bytes',
};

function normaliseType(t: string): string {
  const key = t.toLowerCase();
  const type = TYPES[key];
  if (!type) throw new Error(`unmapped column type ${t}`);
  return type;
}

const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
const byKey = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

function sqliteModel(file: string): Model {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'")
      .all() as { name: string }[];
    const model: Model = {};
    for (const { name } of tables) {
      const info = db.prepare(`PRAGMA table_info("${name}")`).all() as { name: string; type: string; notnull: number; pk: number }[];
      const indexes = (db.prepare(`PRAGMA index_list("${name}")`).all() as { name: string; unique: number; origin: string }[])
        .filter((i) => i.origin === 'c')
        .map((i) => ({
          unique: i.unique === 1,
          columns: (db.prepare(`PRAGMA index_info("${i.name}")`).all() as { name: string }[]).map((c) => c.name),
        }));
      const fks = db.prepare(`PRAGMA foreign_key_list("${name}")`).all() as { from: string; table: string; to: string; on_delete: string }[];
      model[name] = {
        columns: info.map((c) => ({ name: c.name, type: normaliseType(c.type), nullable: c.notnull === 0 && c.pk === 0 })).sort(byName),
        primaryKey: info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name),
        indexes: indexes.sort(byKey),
        foreignKeys: fks.map((f) => ({ column: f.from, table: f.table, references: f.to, onDelete: f.on_delete })).sort(byKey),
      };
    }
    return model;
  } finally {
    db.close();
  }
}

async function postgresModel(url: string): Promise<Model> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const cols = await client.query<{ table_name: string; column_name: string; data_type: string; is_nullable: string; column_default: string | null }>(
      "SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'",
    );
    const pks = await client.query<{ table_name: string; column_name: string }>(
      `SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc
       JOIN information_schema.key_column_usage kcu ON tc.constraint_name = kcu.constraint_name AND tc.table_schema = kcu.table_schema
       WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = 'public' ORDER BY kcu.ordinal_position`,
    );
    const idx = await client.query<{ table: string; unique: boolean; columns: string[]; primary: boolean }>(
      `SELECT t.relname AS table, ix.indisunique AS unique, ix.indisprimary AS primary,
              array_agg(a.attname::text ORDER BY array_position(ix.indkey, a.attnum)) AS columns
       FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(ix.indkey)
       WHERE n.nspname = 'public' GROUP BY t.relname, i.relname, ix.indisunique, ix.indisprimary`,
    );
    const fks = await client.query<{ table_name: string; column_name: string; ref_table: string; ref_column: string; delete_rule: string }>(
      `SELECT kcu.table_name, kcu.column_name, ccu.table_name AS ref_table, ccu.column_name AS ref_column, rc.delete_rule
       FROM information_schema.referential_constraints rc
       JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = rc.constraint_name
       JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = rc.unique_constraint_name
       WHERE kcu.table_schema = 'public'`,
    );
    const model: Model = {};
    const tables = [...new Set(cols.rows.map((r) => r.table_name))];
    for (const t of tables) {
      const pk = pks.rows.filter((r) => r.table_name === t).map((r) => r.column_name);
      model[t] = {
        columns: cols.rows
          .filter((r) => r.table_name === t)
          .map((r) => ({
            name: r.column_name,
            type: normaliseType(r.column_default?.startsWith('nextval(') ? 'serial' : r.data_type),
            nullable: r.is_nullable === 'YES',
          }))
          .sort(byName),
        primaryKey: pk,
        indexes: idx.rows.filter((r) => r.table === t && !r.primary).map((r) => ({ unique: r.unique, columns: r.columns })).sort(byKey),
        foreignKeys: fks.rows
          .filter((r) => r.table_name === t)
          .map((r) => ({ column: r.column_name, table: r.ref_table, references: r.ref_column, onDelete: r.delete_rule }))
          .sort(byKey),
      };
    }
    return model;
  } finally {
    await client.end();
  }
}

/** The normalised model of a database. */
export async function introspect(target: DbTarget): Promise<Model> {
  return target.provider === 'sqlite' ? sqliteModel(target.url) : postgresModel(target.url);
}
