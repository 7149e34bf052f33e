/**
 * The collection's gallery calibration (issue 7), cached: the trials themselves are pure maths in
 * lib/calibration/gallery-trials.ts; here they are computed from the enrolled embeddings of the
 * collection's current model and kept per collection, model version and gallery sequence.
 *
 * Searches read the cache and never wait: a stale entry starts a background recomputation (yielding
 * to the event loop between queries) and the last result serves meanwhile; the calibration page and
 * API wait for a fresh one. Once the gallery calibration is in force (`galleryInForce`), the
 * collection's threshold comes from here (see `collectionThreshold`).
 */
import { computeTrials, pairScores, type Aggregate, type PairScores, type TrialSet } from '@/lib/calibration';
import type { Db } from '@/lib/db/client';
import { findGalleryVectors } from '@/lib/db/embeddings';
import { processState } from './process-state';
import { decodeVector } from './runtime/vectors';

/** Trials of one gallery state. */
export interface GalleryTrials extends TrialSet {
  /** Distances of the gallery's pairs: the domain guard's evidence (lib/calibration/separation.ts). */
  pairs: PairScores;
  modelVersion: string;
  /** The collection's head sequence the trials were computed at. */
  sequence: number;
  computedAt: string;
}

/** A collection's cache entry: its last trials and the computation in flight (kept in the process state). */
export interface GalleryTrialsEntry {
  trials: GalleryTrials | null;
  pending: Promise<GalleryTrials> | null;
  pendingKey: string | null;
}

async function load(db: Db, collectionId: string, modelVersion: string, sequence: number, aggregate: Aggregate): Promise<GalleryTrials> {
  const rows = await findGalleryVectors(db, collectionId, modelVersion);
  const gallery = rows.map((r) => ({ identity: r.identityId, vector: decodeVector(r.vector) }));
  const trials = await computeTrials(gallery, 1, aggregate);
  return { ...trials, pairs: pairScores(gallery), modelVersion, sequence, computedAt: new Date().toISOString() };
}

/** A collection's gallery state, and how its model scores an identity (`scoringOf`, ./context.ts). */
type TrialsOf = { id: string; modelVersion: string; headSequence: number };

/** Starts (or joins) the computation for this gallery state. */
function refresh(db: Db, c: TrialsOf, aggregate: Aggregate): Promise<GalleryTrials> {
  const key = `${c.modelVersion}@${c.headSequence}`;
  const cache = processState().galleryTrials;
  const entry = cache.get(c.id) ?? { trials: null, pending: null, pendingKey: null };
  cache.set(c.id, entry);
  if (entry.pending && entry.pendingKey === key) return entry.pending;
  const pending = load(db, c.id, c.modelVersion, c.headSequence, aggregate).then(
    (trials) => {
      const cur = cache.get(c.id);
      if (cur && (!cur.trials || cur.trials.sequence <= trials.sequence)) cur.trials = trials;
      if (cur?.pendingKey === key) Object.assign(cur, { pending: null, pendingKey: null });
      return trials;
    },
    (err) => {
      const cur = cache.get(c.id);
      if (cur?.pendingKey === key) Object.assign(cur, { pending: null, pendingKey: null });
      throw err;
    },
  );
  Object.assign(entry, { pending, pendingKey: key });
  return pending;
}

/** The last computed trials of the collection's current model, fresh or not (or null). Starts nothing. */
export function peekTrials(c: { id: string; modelVersion: string }): GalleryTrials | null {
  const trials = processState().galleryTrials.get(c.id)?.trials ?? null;
  return trials && trials.modelVersion === c.modelVersion ? trials : null;
}

/**
 * The cached trials for the search and enroll paths: `peekTrials`, and a background recomputation
 * when they are not of the current gallery sequence. Never waits.
 */
export function cachedTrials(db: Db, c: TrialsOf, aggregate: Aggregate): GalleryTrials | null {
  const trials = peekTrials(c);
  if (trials?.sequence !== c.headSequence) refresh(db, c, aggregate).catch((err) => console.error(`[calibration] ${c.id}: ${(err as Error).message}`));
  return trials;
}

/** Fresh trials for this gallery state (the calibration page and API wait for them). */
export async function freshTrials(db: Db, c: TrialsOf, aggregate: Aggregate): Promise<GalleryTrials> {
  const trials = peekTrials(c);
  return trials?.sequence === c.headSequence ? trials : refresh(db, c, aggregate);
}

/** Forgets a deleted collection's trials. */
export function dropTrials(collectionId: string): void {
  processState().galleryTrials.delete(collectionId);
}
