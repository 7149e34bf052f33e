/**
 * Calibration on a gallery's own embeddings (issue 7): leave-one-identity-out open-set trials.
 *
 * - Genuine trial: an example of an identity with 2+ examples is the query; its score is the distance
 *   to the nearest OTHER example of its own identity.
 * - Impostor trial: the same identity plays the stranger: the query's score is the distance to the
 *   nearest example of any other identity (a gallery of N-1 identities, about the live size N).
 * At threshold t: FAR = impostor scores <= t over impostor trials, FRR = genuine scores > t over
 * genuine trials. A FAR of f is measurable with at least 3/f impostor trials ("rule of three").
 * Once the gallery has MIN_IDENTITIES_FOR_GALLERY_THRESHOLD identities with 2+ examples and enough
 * impostor trials for the target FAR, the service's threshold comes from here (`galleryInForce`);
 * lib/matching caches the trials per collection.
 */
import { aucOf, countAtMost, distanceAtFar, eerOf, rocCurve } from './roc';
import { centroidOf } from './centroid';
import { createRng } from './rng';
import { squaredDistance } from './vectors';
import { percentileInterval } from './wilson';

/** Identities with 2+ examples needed before the gallery calibration sets the threshold. */
export const MIN_IDENTITIES_FOR_GALLERY_THRESHOLD = 5;
/** Queries used per trial kind; larger galleries are sampled (seeded) down to this. */
export const MAX_TRIAL_QUERIES = 2000;
/** Target FARs offered on the calibration page. */
export const TARGET_FARS = [0.1, 0.05, 0.01, 0.001] as const;
/** Bootstrap resamples of the 95% intervals. */
const BOOTSTRAP = 400;
/** Queries scored between yields to the event loop in `computeTrials`. */
const QUERIES_PER_YIELD = 25;

/** The trials of one gallery. */
export interface TrialSet {
  /** Identities with 2+ examples (they play genuine and stranger). */
  eligibleIdentities: number;
  /** Genuine scores, ascending. */
  genuine: Float64Array;
  /** Impostor scores, ascending. */
  impostor: Float64Array;
  /** True when the queries were sampled down to MAX_TRIAL_QUERIES. */
  sampled: boolean;
}

/** A rate with its trials and bootstrap 95% interval; with no event seen, `upperBound` is the rule-of-three bound 3/n. */
export interface RateEstimate {
  value: number;
  n: number;
  lo: number;
  hi: number;
  /** Set when no event was seen: the rate is below this (3/n), not measured. */
  upperBound: number | null;
}

/** A target FAR: whether the gallery can measure it and the threshold that meets it. */
export interface TargetFarPoint {
  far: number;
  /** Impostor trials needed: ceil(3 / far). */
  minImpostorTrials: number;
  measurable: boolean;
  /** Largest distance with gallery FAR <= far (null when not measurable). */
  threshold: number | null;
}

/** One gallery row: an identity key and its L2-normalised embedding. */
export interface TrialRow {
  identity: string;
  vector: Float32Array;
}

/** Row indices by identity, identities in order of first appearance. */
function rowsByIdentity(rows: readonly { identity: string }[]): Map<string, number[]> {
  const byIdentity = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const members = byIdentity.get(r.identity);
    if (members) members.push(i);
    else byIdentity.set(r.identity, [i]);
  });
  return byIdentity;
}

/** Row indices of every example of an identity with 2+ examples (the trial queries), and the count of such identities. */
export function eligibleQueries(rows: readonly { identity: string }[]): { queries: number[]; identities: number } {
  const eligible = [...rowsByIdentity(rows).values()].filter((ids) => ids.length >= 2);
  return { queries: eligible.flat(), identities: eligible.length };
}

/** How a gallery scores an identity: its nearest image, or its centroid (./centroid.ts). */
export type Aggregate = 'nearest' | 'centroid';

/**
 * The scores of one query row (see `scoreQueries`), with what they need of the gallery (its
 * identities' centroids) computed once.
 */
function queryScorer(rows: readonly TrialRow[], aggregate: Aggregate): (i: number) => { own: number; other: number } {
  const distance = (i: number, v: Float32Array) => Math.sqrt(squaredDistance(rows[i].vector, v));
  if (aggregate === 'centroid') {
    const byIdentity = rowsByIdentity(rows);
    const centroids = new Map([...byIdentity].map(([id, members]) => [id, centroidOf(members.map((m) => rows[m].vector))]));
    return (i) => {
      const mine = rows[i].identity;
      const rest = byIdentity.get(mine)!.filter((m) => m !== i);
      let other = Infinity;
      for (const [id, c] of centroids) if (id !== mine) other = Math.min(other, distance(i, c));
      return { own: rest.length > 0 ? distance(i, centroidOf(rest.map((m) => rows[m].vector))) : Infinity, other };
    };
  }
  return (i) => {
    let own = Infinity;
    let other = Infinity;
    for (let j = 0; j < rows.length; j++) {
      if (j === i) continue;
      const d = distance(i, rows[j].vector);
      if (rows[j].identity === rows[i].identity) own = Math.min(own, d);
      else other = Math.min(other, d);
    }
    return { own, other };
  };
}

/**
 * Scores of each query row, in order: `own` = the query's score against its own identity without
 * it (genuine), `other` = its best score against any other identity (impostor, Infinity when there
 * is none). With `nearest`, a score is the distance to the identity's nearest image; with
 * `centroid`, the distance to the identity's centroid (the query's own left out of its own).
 */
export function scoreQueries(rows: readonly TrialRow[], queries: readonly number[], aggregate: Aggregate = 'nearest'): { own: Float64Array; other: Float64Array } {
  const own = new Float64Array(queries.length);
  const other = new Float64Array(queries.length);
  scoreInto(queryScorer(rows, aggregate), queries, 0, queries.length, own, other);
  return { own, other };
}

/** Scores queries[from, to) into own and other at the same positions. */
function scoreInto(score: (i: number) => { own: number; other: number }, queries: readonly number[], from: number, to: number, own: Float64Array, other: Float64Array): void {
  for (let q = from; q < to; q++) {
    const s = score(queries[q]);
    own[q] = s.own;
    other[q] = s.other;
  }
}

/** The trial queries of `rows`, sampled (seeded) down to MAX_TRIAL_QUERIES. */
function trialQueries(rows: readonly TrialRow[], seed: number): { queries: number[]; identities: number; sampled: boolean } {
  const eligible = eligibleQueries(rows);
  const sampled = eligible.queries.length > MAX_TRIAL_QUERIES;
  const queries = sampled ? createRng(seed).shuffle(eligible.queries).slice(0, MAX_TRIAL_QUERIES) : eligible.queries;
  return { queries, identities: eligible.identities, sampled };
}

function trialSetOf(identities: number, sampled: boolean, own: Float64Array, other: Float64Array): TrialSet {
  return { eligibleIdentities: identities, genuine: own.slice().sort(), impostor: other.filter(Number.isFinite).sort(), sampled };
}

/** The trials of `rows` (see `scoreQueries`), sampled down to MAX_TRIAL_QUERIES queries, computed at once. */
export function computeTrialsNow(rows: readonly TrialRow[], seed = 1, aggregate: Aggregate = 'nearest'): TrialSet {
  const { queries, identities, sampled } = trialQueries(rows, seed);
  const { own, other } = scoreQueries(rows, queries, aggregate);
  return trialSetOf(identities, sampled, own, other);
}

/** `computeTrialsNow`, yielding to the event loop every QUERIES_PER_YIELD queries (the service computes them beside searches). */
export async function computeTrials(rows: readonly TrialRow[], seed = 1, aggregate: Aggregate = 'nearest'): Promise<TrialSet> {
  const { queries, identities, sampled } = trialQueries(rows, seed);
  const own = new Float64Array(queries.length);
  const other = new Float64Array(queries.length);
  const score = queryScorer(rows, aggregate);
  for (let start = 0; start < queries.length; start += QUERIES_PER_YIELD) {
    scoreInto(score, queries, start, Math.min(queries.length, start + QUERIES_PER_YIELD), own, other);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return trialSetOf(identities, sampled, own, other);
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
  return { value: p, n, ...percentileInterval(draws.sort()), upperBound: null };
}

/** FAR and FRR of the trials at threshold t. */
export function ratesAt(trials: Pick<TrialSet, 'genuine' | 'impostor'>, t: number): { far: RateEstimate; frr: RateEstimate } {
  return { far: rate(trials.impostor, t, true, 11), frr: rate(trials.genuine, t, false, 13) };
}

const targetPoints = new WeakMap<object, Map<number, TargetFarPoint>>();

/** Whether the trials can measure `far`, and the threshold that meets it (kept per trials object: searches ask on every call). */
export function targetPoint(trials: Pick<TrialSet, 'genuine' | 'impostor'>, far: number): TargetFarPoint {
  const known = targetPoints.get(trials) ?? new Map<number, TargetFarPoint>();
  targetPoints.set(trials, known);
  const hit = known.get(far);
  if (hit) return hit;
  const point = measureTarget(trials, far);
  known.set(far, point);
  return point;
}

function measureTarget(trials: Pick<TrialSet, 'genuine' | 'impostor'>, far: number): TargetFarPoint {
  const minImpostorTrials = Math.ceil(3 / far);
  const measurable = trials.impostor.length >= minImpostorTrials && trials.genuine.length > 0;
  return { far, minImpostorTrials, measurable, threshold: measurable ? distanceAtFar(rocCurve(trials.genuine, trials.impostor), far) : null };
}

/** True when the gallery calibration is in force for this target FAR. */
export function galleryInForce<T extends TrialSet>(trials: T | null, targetFar: number): trials is T {
  return trials !== null && trials.eligibleIdentities >= MIN_IDENTITIES_FOR_GALLERY_THRESHOLD && targetPoint(trials, targetFar).measurable;
}

/** AUC and EER of the trials (null without both kinds). */
export function summaryOf(trials: Pick<TrialSet, 'genuine' | 'impostor'>): { auc: number | null; eer: number | null } {
  if (trials.genuine.length === 0 || trials.impostor.length === 0) return { auc: null, eer: null };
  return { auc: aucOf(trials.genuine, trials.impostor), eer: eerOf(trials.genuine, trials.impostor) };
}
