/** ModelFile rows: the files of trained model versions, their bytes in the blob store. */
import type { Db, DbOrTx } from './client';

/** One file of a model version's folder. */
export interface ModelFileRow {
  modelVersion: string;
  kind: string;
  /** Path inside the folder, '/'-separated. */
  name: string;
  sha256: string;
  sizeBytes: number;
}

/** Records every file of a model version in one transaction (a version's rows are all there or none). */
export async function insertModelFiles(db: Db, files: ModelFileRow[]): Promise<void> {
  await db.$transaction(files.map((f) => db.modelFile.upsert({ where: { modelVersion_name: { modelVersion: f.modelVersion, name: f.name } }, create: f, update: {} })));
}

/** The files of a model version, by name; empty when it was never stored. */
export async function findModelFiles(db: DbOrTx, modelVersion: string): Promise<ModelFileRow[]> {
  return db.modelFile.findMany({ where: { modelVersion }, orderBy: { name: 'asc' }, select: { modelVersion: true, kind: true, name: true, sha256: true, sizeBytes: true } });
}

/** Every stored model version with its kind. */
export async function findStoredModelVersions(db: DbOrTx): Promise<{ modelVersion: string; kind: string }[]> {
  return db.modelFile.findMany({ distinct: ['modelVersion'], orderBy: { modelVersion: 'asc' }, select: { modelVersion: true, kind: true } });
}
