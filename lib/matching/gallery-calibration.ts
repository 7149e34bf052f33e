/**
 * Calibration on the collection's own gallery (issue 7): leave-one-identity-out open-set trials from
 * the enrolled embeddings of the collection's current model.
 *
 * - Genuine trial: an example of an identity with 2+ examples is the query; its score is the distance
 *   to the nearest OTHER example of its own identity.
 * - Impostor trial: the same identity plays the stranger: the query's score is the distance to the
 *   nearest example of any other identity (a gallery of N-1 identities, about the live size N).
 * At threshold t: FAR = impostor scores <= t over impostor trials, FRR = genuine scores > t over
 * genuine trials. A FAR of f is measurable with at least 3/f impostor trials ("rule of three").
 *
 * Results are cached per collection, model version and gallery sequence. Searches read the cache
 * and never wait: a stale entry starts a background recomputation (yielding to the event loop
 * between queries) and the last result serves meanwhile; the calibration page and API wait for a
 * fresh one. Once the gallery has MIN_IDENTITIES_FOR_GALLERY_THRESHOLD identities with 2+ examples and enough
 * impostor trials for the target FAR, the collection's threshold comes from here (see
 * `collectionThreshold`).
 */
import { countAtMost, distanceAtFar, rocCurve, aucOf, eerOf } from '@/lib/calibration';
import { squaredDistance } from '@/lib/training/pairs';
import { createRng } from '@/lib/training/rng';
import type { Db } from '@/lib/db/client';
import { findGalleryVectors } from '@/lib/db/embeddings';
import { processState } from './process-state';
import { decodeVector } from './runtime/vectors';
import type { RateEstimate, TargetFarPoint } from './contract/calibration';

/** Identities with 2+ examples needed before the gallery calibration sets the threshold. */
export const MIN_IDENTITIES_FOR_GALLERY_THRESHOLD = 5;
/** Queries used per trial kind; larger galleries are sampled (seeded) down to this. */
export const MAX_TRIAL_QUERIES = 2000;
/** Target FARs offered on the calibration page. */
export const TARGET_FARS = [0.1, 0.05, 0.01, 0.001] as const;
/** Bootstrap resamples of the 95% intervals. */
const BOOTSTRAP = 400;

/** Trials of one gallery state. */
export interface GalleryTrials {
  modelVersion: string;
  /** The collection's head sequence the trials were computed at. */
  sequence: number;
  computedAt: string;
  /** Identities with 2+ examples (they play genuine and stranger). */
  eligibleIdentities: number;
  /** Genuine scores, ascending. */
  genuine: Float64Array;
  /** Impostor scores, ascending. */
  impostor: Float64Array;
  /** True when the queries were sampled down to MAX_TRIAL_QUERIES. */
  sampled: boolean;
}

/** Row indices of every example of an identity with 2+ examples (the trial queries), and the count of such identities. */
export function eligibleQueries(rows: readonly { identity: string }[]): { queries: number[]; identities: number } {
  const byIdentity = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const own = byIdentity.get(r.identity);
    if (own) own.push(i);
    else byIdentity.set(r.identity, [i]);
  });
  const eligible = [...byIdentity.values()].filter((ids) => ids.length >= 2);
  return { queries: eligible.flat(), identities: eligible.length };
}

/**
 * Scores of each query row, in order: `own` = distance to the nearest other example of its identity
 * (genuine), `other` = distance to the nearest example of any other identity (impostor, Infinity
 * when there is none). Yields to the event loop every 25 queries.
 */
export async function scoreQueries(rows: readonly { identity: string; vector: Float32Array }[], queries: readonly number[]): Promise<{ own: Float64Array; other: Float64Array }> {
  const own = new Float64Array(queries.length).fill(Infinity);
  const other = new Float64Array(queries.length).fill(Infinity);
  for (let q = 0; q < queries.length; q++) {
    if (q % 25 === 24) await new Promise((resolve) => setImmediate(resolve));
    const i = queries[q];
    for (let j = 0; j < rows.length; j++) {
      if (j === i) continue;
      const d = Math.sqrt(squaredDistance(rows[i].vector, rows[j].vector));
      if (rows[j].identity === rows[i].identity) own[q] = Math.min(own[q], d);
      else other[q] = Math.min(other[q], d);
    }
  }
  return { own, other };
}

/** Computes the trials from (identity, vector) rows (see `scoreQueries`), sampled down to MAX_TRIAL_QUERIES queries. */
export async function computeTrials(rows: readonly { identity: string; vector: Float32Array }[], seed = 1): Promise<Omit<GalleryTrials, 'modelVersion' | 'sequence' | 'computedAt'>> {
  const eligible = eligibleQueries(rows);
  let queries = eligible.queries;
  const sampled = queries.length > MAX_TRIAL_QUERIES;
  if (sampled) queries = createRng(seed).shuffle(queries).slice(0, MAX_TRIAL_QUERIES);
  const { own, other } = await scoreQueries(rows, queries);
  return { eligibleIdentities: eligible.identities, genuine: own.slice().sort(), impostor: other.filter(Number.isFinite).sort(), sampled };
}

/** Share of `sorted` at or under t (accepted), with its bootstrap interval. */
function rate(sorted: Float64Array, t: number, accepted: boolean, seed: number): RateEstimate {
  const n = sorted.length;
  if (n === 0) return { value: 0, n: 0, lo: 0, hi: 1, upperBound: null };
  const under = countAtMost(sorted, t);
  const k = accepted ? under : n - under;
  const p = k / n;
  if (k === 0) return { value: 0, n, lo: 0, hi: Math.min(1, 3 / n), upperBound: Math.min(1, 3 / n) };
  const rng = createRng(seed);
  const draws = new Float64Array(BOOTSTRAP);
  for (let b = 0; b < BOOTSTRAP; b++) {
    let c = 0;
    for (let i = 0; i < n; i++) if (rng.next() < p) c++;
    draws[b] = c / n;
  }
  draws.sort();
  return { value: p, n, lo: draws[Math.floor(0.025 * (BOOTSTRAP - 1))], hi: draws[Math.ceil(0.975 * (BOOTSTRAP - 1))], upperBound: null };
}

/** FAR and FRR of the trials at threshold t. */
export function ratesAt(trials: Pick<GalleryTrials, 'genuine' | 'impostor'>, t: number): { far: RateEstimate; frr: RateEstimate } {
  return { far: rate(trials.impostor, t, true, 11), frr: rate(trials.genuine, t, false, 13) };
}

const targetPoints = new WeakMap<object, Map<number, TargetFarPoint>>();

/** Whether the trials can measure `far`, and the threshold that meets it (kept per trials object: searches ask on every call). */
export function targetPoint(trials: Pick<GalleryTrials, 'genuine' | 'impostor'>, far: number): TargetFarPoint {
  const known = targetPoints.get(trials) ?? new Map<number, TargetFarPoint>();
  targetPoints.set(trials, known);
  const hit = known.get(far);
  if (hit) return hit;
  const point = measureTarget(trials, far);
  known.set(far, point);
  return point;
}

function measureTarget(trials: Pick<GalleryTrials, 'genuine' | 'impostor'>, far: number): TargetFarPoint {
  const minImpostorTrials = Math.ceil(3 / far);
  const measurable = trials.impostor.length >= minImpostorTrials && trials.genuine.length > 0;
  return { far, minImpostorTrials, measurable, threshold: measurable ? distanceAtFar(rocCurve(trials.genuine, trials.impostor), far) : null };
}

/** True when the gallery calibration is in force for this target FAR. */
export function galleryInForce(trials: GalleryTrials | null, targetFar: number): trials is GalleryTrials {
  return trials !== null && trials.eligibleIdentities >= MIN_IDENTITIES_FOR_GALLERY_THRESHOLD && targetPoint(trials, targetFar).measurable;
}

/** AUC and EER of the trials (null without both kinds). */
export function summaryOf(trials: Pick<GalleryTrials, 'genuine' | 'impostor'>): { auc: number | null; eer: number | null } {
  if (trials.genuine.length === 0 || trials.impostor.length === 0) return { auc: null, eer: null };
  return { auc: aucOf(trials.genuine, trials.impostor), eer: eerOf(trials.genuine, trials.impostor) };
}

/** A collection's cache entry: its last trials and the computation in flight (kept in the process state). */
export interface GalleryTrialsEntry {
  trials: GalleryTrials | null;
  pending: Promise<GalleryTrials> | null;
  pendingKey: string | null;
}

async function load(db: Db, collectionId: string, modelVersion: string, sequence: number): Promise<GalleryTrials> {
  const rows = await findGalleryVectors(db, collectionId, modelVersion);
  const trials = await computeTrials(rows.map((r) => ({ identity: r.identityId, vector: decodeVector(r.vector) })));
  return { ...trials, modelVersion, sequence, computedAt: new Date().toISOString() };
}

/** Starts (or joins) the computation for this gallery state. */
function refresh(db: Db, c: { id: string; modelVersion: string; headSequence: number }): Promise<GalleryTrials> {
  const key = `${c.modelVersion}@${c.headSequence}`;
  const cache = processState().galleryTrials;
  const entry = cache.get(c.id) ?? { trials: null, pending: null, pendingKey: null };
  cache.set(c.id, entry);
  if (entry.pending && entry.pendingKey === key) return entry.pending;
  const pending = load(db, c.id, c.modelVersion, c.headSequence).then(
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
export function cachedTrials(db: Db, c: { id: string; modelVersion: string; headSequence: number }): GalleryTrials | null {
  const trials = peekTrials(c);
  if (trials?.sequence !== c.headSequence) refresh(db, c).catch((err) => console.error(`[calibration] ${c.id}: ${(err as Error).message}`));
  return trials;
}

/** Fresh trials for this gallery state (the calibration page and API wait for them). */
export async function freshTrials(db: Db, c: { id: string; modelVersion: string; headSequence: number }): Promise<GalleryTrials> {
  const trials = peekTrials(c);
  return trials?.sequence === c.headSequence ? trials : refresh(db, c);
}

/** Forgets a deleted collection's trials. */
export function dropTrials(collectionId: string): void {
  processState().galleryTrials.delete(collectionId);
}
