/** The per-collection change log: an index replays it from its last sequence to catch up. */
import type { DbOrTx, Tx } from './client';

/** One change as stored. */
export interface ChangeRow {
  sequence: number;
  /** 'add' | 'delete' */
  op: string;
  /** The image's seq (its index label). */
  imageSeq: number;
}

/** Appends changes of a collection. */
export async function createChanges(tx: Tx, collectionId: string, changes: ChangeRow[]): Promise<void> {
  await tx.change.createMany({ data: changes.map((c) => ({ collectionId, sequence: c.sequence, op: c.op, imageSeq: c.imageSeq })) });
}

/** Appends one change of a collection. */
export async function createChange(tx: Tx, collectionId: string, change: ChangeRow): Promise<void> {
  await tx.change.create({ data: { collectionId, ...change } });
}

/** A collection's changes after `afterSequence`, in order, `take` at most. */
export function findChangesAfter(db: DbOrTx, collectionId: string, afterSequence: number, take: number): Promise<ChangeRow[]> {
  return db.change.findMany({ where: { collectionId, sequence: { gt: afterSequence } }, orderBy: { sequence: 'asc' }, take, select: { sequence: true, op: true, imageSeq: true } });
}
