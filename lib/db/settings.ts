/** Instance settings: key/value rows (the admin password hash, the audit retention). */
import type { DbOrTx } from './client';

/** A setting's value, or null when unset. */
export async function readSetting(db: DbOrTx, key: string): Promise<string | null> {
  const row = await db.setting.findUnique({ where: { key } });
  return row ? row.value : null;
}

/** Sets a setting, creating or replacing it. */
export async function writeSetting(db: DbOrTx, key: string, value: string): Promise<void> {
  await db.setting.upsert({ where: { key }, create: { key, value }, update: { value } });
}

/** Creates a setting; a unique violation (`isDbError(err, 'unique')`) when another process created it first. */
export async function createSetting(db: DbOrTx, key: string, value: string): Promise<void> {
  await db.setting.create({ data: { key, value } });
}
