/**
 * The domain guard (issue 19 item 4): whether a collection's model can separate the gallery's
 * identities at all, judged from the gallery's own image pairs (every pair, or a seeded sample).
 *
 * - Pairwise AUC: the chance that a same-identity pair is closer than a different-identity pair
 *   (ties count half; `aucOf`). Unlike the nearest-neighbour trials of ./gallery-trials.ts, it does not
 *   fall as the gallery grows, so one floor serves every size. Floor 0.7: the committed models
 *   reach 0.848 (photo head) and 0.994 (drawing ensemble) on their own held-out pairs.
 * - Collapse: the share of different-identity pairs at or under the model's own FAR 1e-2 distance
 *   (its calibration promises 0.01 there). Images of a domain the model never saw crowd into one
 *   region of its space: measured on 8 identities x 3 images, 0.95-0.97 for grocery photos under the
 *   drawing model and 1.0 for Omniglot drawings under the photo model, against 0.0-0.004 (photos,
 *   photo model) and 0.11-0.18 (drawings of one alphabet, drawing model) for the right pairings.
 *   The AUC alone misses the photo model on drawings (0.69-0.77 against 0.78-0.89 on photos), so
 *   either test fires the guard. Ceiling 0.5: 50x the promised rate.
 */
import { aucOf, countAtMost } from './roc';
import { createRng } from './rng';
import type { TrialRow } from './gallery-trials';
import { pairDistances, vectorsByIdentity } from './vectors';

/** Pairwise AUC under which a model cannot separate the gallery's identities. */
export const SEPARATION_AUC_FLOOR = 0.7;
/** Share of different-identity pairs within the model's FAR 1e-2 distance above which the gallery has collapsed. */
export const COLLAPSE_CEILING = 0.5;
/** Pairs of each kind scored at most; larger galleries are sampled (seeded) down to this. */
export const MAX_SEPARATION_PAIRS = 20_000;
/** Identities with 2+ images before the guard judges (as the gallery threshold needs). */
export const MIN_IDENTITIES_FOR_SEPARATION = 5;

/** Distances of the gallery's pairs, ascending. */
export interface PairScores {
  /** Same-identity pairs. */
  genuine: Float64Array;
  /** Different-identity pairs. */
  impostor: Float64Array;
  /** True when either kind was sampled down to MAX_SEPARATION_PAIRS. */
  sampled: boolean;
}

/** The guard's verdict on a gallery. */
export interface Separation {
  verdict: 'separates' | 'cannot_separate' | 'too_few_identities';
  /** Pairwise AUC (null without pairs of both kinds). */
  pairwiseAuc: number | null;
  genuinePairs: number;
  impostorPairs: number;
  sampled: boolean;
  /** The model's own FAR 1e-2 distance (its calibration). */
  modelDistance: number;
  /** Share of different-identity pairs at or under `modelDistance` (null without such pairs). */
  collapsedShare: number | null;
}

const sorted = (xs: number[]) => Float64Array.from(xs).sort();

/**
 * Distances of every pair of `rows`, or MAX_SEPARATION_PAIRS of each kind when there are more:
 * distinct different-identity pairs drawn by `pairDistances`, and a seeded shuffle of the
 * same-identity pairs.
 */
export function pairScores(rows: readonly TrialRow[], seed = 1): PairScores {
  const rng = createRng(seed);
  const { genuine, impostor } = pairDistances(vectorsByIdentity(rows), { max: MAX_SEPARATION_PAIRS, uniform: () => rng.next() });
  const n = rows.length;
  const sampledImpostor = (n * (n - 1)) / 2 - genuine.length > MAX_SEPARATION_PAIRS;
  const sampledGenuine = genuine.length > MAX_SEPARATION_PAIRS;
  return {
    genuine: sorted(sampledGenuine ? rng.shuffle(genuine).slice(0, MAX_SEPARATION_PAIRS) : genuine),
    impostor: sorted(impostor),
    sampled: sampledGenuine || sampledImpostor,
  };
}

/**
 * The guard on a gallery's pairs: `cannot_separate` when the pairwise AUC is under
 * SEPARATION_AUC_FLOOR or the collapsed share over COLLAPSE_CEILING; `too_few_identities` under
 * MIN_IDENTITIES_FOR_SEPARATION identities with 2+ images.
 */
export function separationOf(pairs: PairScores, eligibleIdentities: number, modelDistance: number): Separation {
  const both = pairs.genuine.length > 0 && pairs.impostor.length > 0;
  const pairwiseAuc = both ? aucOf(pairs.genuine, pairs.impostor) : null;
  const collapsedShare = pairs.impostor.length > 0 ? countAtMost(pairs.impostor, modelDistance) / pairs.impostor.length : null;
  const judged = eligibleIdentities >= MIN_IDENTITIES_FOR_SEPARATION && both;
  const fails = (pairwiseAuc !== null && pairwiseAuc < SEPARATION_AUC_FLOOR) || (collapsedShare !== null && collapsedShare > COLLAPSE_CEILING);
  return {
    verdict: !judged ? 'too_few_identities' : fails ? 'cannot_separate' : 'separates',
    pairwiseAuc,
    genuinePairs: pairs.genuine.length,
    impostorPairs: pairs.impostor.length,
    sampled: pairs.sampled,
    modelDistance,
    collapsedShare,
  };
}
