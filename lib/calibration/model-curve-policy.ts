/**
 * The service's open-set decisions over the model's calibration curve (lib/matching/context.ts
 * `collectionThreshold`, without an admin override), as `OpenSetPolicy`s: before issue 18 and since.
 *
 * - Score of an identity: the distance from the query to its nearest enrolled image (what the
 *   index's neighbours grouped by identity give, computed exactly here).
 * - Threshold: the gallery's own leave-one-identity-out threshold at the target FAR when that
 *   calibration is in force (`galleryInForce`: >= MIN_IDENTITIES_FOR_GALLERY_THRESHOLD identities
 *   with 2+ images and >= 3/FAR impostor trials), else `openSetThreshold(curve, FAR, N)` with N =
 *   enrolled identities, i.e. the pairwise FAR p with 1-(1-p)^N = FAR read off the model's curve.
 */
import { InputError } from '@/lib/errors';
import { centroidScores, galleryCentroids } from './centroid';
import { computeTrialsNow, galleryInForce, ratesAt, targetPoint, type Aggregate, type RateEstimate, type TrialSet } from './gallery-trials';
import { interIdentityDistances, shiftThreshold } from './gallery-shift';
import { openSetThreshold, pairwiseFarForOpenSet } from './open-set';
import { boundThreshold } from './identity-bound';
import { effectiveComparisons, type OpenSetTable } from './open-set-table';
import { bestPerIdentity, type FittedPolicy, type GalleryEntry, type OpenSetPolicy, type ThresholdEvidence } from './policy';
import { countAtMost, type CalibrationCurve } from './roc';
import { squaredDistance } from './vectors';
import { wilsonRate } from './wilson';

/** Best distance per identity of `gallery` to `query`, ascending (ties by identity key). */
export function nearestPerIdentity(gallery: readonly GalleryEntry[], query: Float32Array): { identity: string; score: number }[] {
  return bestPerIdentity(gallery, (i) => Math.sqrt(squaredDistance(query, gallery[i].vector)));
}

/** The score function of a gallery under `aggregate`. */
function scorer(gallery: readonly GalleryEntry[], aggregate: Aggregate): FittedPolicy['score'] {
  if (aggregate === 'nearest') return (query) => nearestPerIdentity(gallery, query);
  const centroids = galleryCentroids(gallery);
  return (query) => centroidScores(centroids, query);
}

/** A model-curve threshold and, when the gallery's own trials set it, their FAR there. */
export interface ModelCurveThreshold {
  /** null only with neither a curve nor gallery trials in force. */
  threshold: number | null;
  /** The gallery trials' FAR at the threshold when they set it, else null (the curve did). */
  galleryFar: RateEstimate | null;
}

/**
 * Whether a gallery's own trials show a model threshold `t` too loose for `targetFar`: the share of
 * its impostor trials accepted at t is over the target with the whole Wilson 95% interval
 * (./wilson.ts), i.e. the lower end above it. A one-sided test at 2.5%: a gallery whose
 * trials merely read a little high at t (a few of a few hundred) is noise, not evidence.
 */
export function galleryShowsTooLoose(trials: Pick<TrialSet, 'impostor'>, t: number, targetFar: number): boolean {
  return wilsonRate(countAtMost(trials.impostor, t), trials.impostor.length).lo > targetFar;
}

/**
 * A model's threshold `fromCurve` (null: none) combined with the gallery's own
 * leave-one-identity-out threshold once in force (`galleryInForce`), which `replace`s it (before
 * issue 18) or `tighten`s it: the gallery's threshold is taken when it is stricter and the gallery's
 * trials show the curve's too loose (`galleryShowsTooLoose`). Taking it whenever it was stricter
 * let the noise of a few hundred trials through: the minimum of two estimates is biased low, and on
 * held-out Omniglot (in-domain for the curve) the gallery took over in 73 of 200 draws of the
 * 127-identity × 3-shot cell at 1e-2, for TAR 0.125 against 0.144 before issue 18; on evidence, in
 * 12, for TAR 0.144 (README, the open-set grid). The price: a 300-trial gallery catches a model
 * threshold that truly accepts 2 × the target about 40% of the time (7+ of 300), not about 85%.
 */
export function withGalleryThreshold(fromCurve: number | null, targetFar: number, trials: TrialSet | null, gallery: 'replace' | 'tighten'): ModelCurveThreshold {
  if (!galleryInForce(trials, targetFar)) return { threshold: fromCurve, galleryFar: null };
  const fromGallery = targetPoint(trials, targetFar).threshold!;
  const take = gallery === 'replace' || fromCurve === null || (fromGallery < fromCurve && galleryShowsTooLoose(trials, fromCurve, targetFar));
  return take ? { threshold: fromGallery, galleryFar: ratesAt(trials, fromGallery).far } : { threshold: fromCurve, galleryFar: null };
}

/** How a model-curve policy counts the gallery and uses the gallery's own trials. */
export interface ModelCurveOptions {
  /**
   * How the threshold is read: the curve converted over enrolled `identities` (the service before
   * issue 18) or over `images`, or over the images at their measured worth from the model's
   * open-set `table` (./open-set-table.ts `effectiveComparisons`; images where it cannot answer).
   */
  count: 'identities' | 'images' | 'table';
  /** The gallery threshold, once in force, `replace`s the curve's (before issue 18) or only `tighten`s it on evidence (since; `withGalleryThreshold`). */
  gallery: 'replace' | 'tighten';
  /** The model's open-set table; required with `count: 'table'`. */
  table?: OpenSetTable;
  /**
   * Read no looser than the table's identity-bootstrap bound (./identity-bound.ts; the service
   * since issue 19, `model-curve-bound`); needs `count: 'table'`.
   */
  bound?: boolean;
  /**
   * Move the curve's threshold to the gallery's domain by its inter-identity distances before the
   * gallery threshold (./gallery-shift.ts; `model-curve-table-shift`, an evaluate-only experiment).
   */
  shift?: boolean;
}

/**
 * The threshold a model-curve policy reads before the gallery's own trials: the curve over the
 * comparisons counted (images at their worth from the table, else every image), with `bound` no
 * looser than the table's identity bound at the same pairwise FAR; the comparisons it counted, and
 * where the threshold came from.
 */
export function modelThreshold(
  curve: CalibrationCurve | null,
  table: OpenSetTable | null,
  targetFar: number,
  identities: number,
  images: number,
  opts: { bound: boolean },
): { threshold: number | null; comparisons: number; source: string } {
  const counted = table ? effectiveComparisons(table, targetFar, identities, images) : null;
  const comparisons = counted ?? images;
  const source = counted === null ? 'model-curve-images' : 'model-curve-table';
  const threshold = curve ? openSetThreshold(curve, targetFar, comparisons) : null;
  if (threshold === null || !opts.bound || !table?.bound) return { threshold, comparisons, source };
  const bound = boundThreshold(table.bound, pairwiseFarForOpenSet(targetFar, comparisons));
  return bound < threshold ? { threshold: bound, comparisons, source: 'model-curve-bound' } : { threshold, comparisons, source };
}

/**
 * The policy over a model's stored calibration: `model-curve-identities` (count identities, the
 * gallery replaces) is the service before issue 18, `model-curve-images` (count images, the gallery
 * only tightens) and `model-curve-table` (count images at their measured worth, the gallery only
 * tightens) its steps, and `model-curve-bound` (the table's count, read no looser than the table's
 * identity bound) the service since issue 19 (lib/matching/context.ts `collectionThreshold`).
 */
export function modelCurvePolicy(curve: CalibrationCurve, opts: ModelCurveOptions): OpenSetPolicy {
  const name = `model-curve-${opts.bound ? 'bound' : opts.count}${opts.shift ? '-shift' : ''}`;
  if (opts.count === 'table' && !opts.table) throw new InputError('unknown_policy', `${name} needs a model with an open-set table`);
  if (opts.bound && (opts.count !== 'table' || !opts.table?.bound)) throw new InputError('unknown_policy', `${name} needs a model whose open-set table holds an identity bound (evaluate make-openset-table)`);
  // An identity is scored as the table was measured (by its nearest image without one), in the gallery trials too.
  const aggregate: Aggregate = opts.table?.aggregate ?? 'nearest';
  // fit() is called once per target FAR on the same gallery: its trials and its score function
  // (which does not depend on the FAR; callers may reuse rankings per function) are made once.
  const perGallery = new WeakMap<readonly GalleryEntry[], { trials: TrialSet; score: FittedPolicy['score']; pairs?: Float64Array }>();
  return {
    name,
    fit(gallery, targetFar): FittedPolicy {
      if (gallery.length === 0) throw new InputError('invalid_gallery', `${name}: the gallery is empty; enrol at least one image`);
      const known = perGallery.get(gallery) ?? { trials: computeTrialsNow(gallery, 1, aggregate), score: scorer(gallery, aggregate) };
      perGallery.set(gallery, known);
      const { trials, score } = known;
      const identities = new Set(gallery.map((g) => g.identity)).size;
      const counted =
        opts.count === 'identities'
          ? { threshold: openSetThreshold(curve, targetFar, identities), comparisons: identities, source: 'model-curve' }
          : modelThreshold(curve, opts.count === 'table' ? opts.table! : null, targetFar, identities, gallery.length, { bound: opts.bound ?? false });
      let base = { threshold: counted.threshold, source: counted.source, trials: 0 };
      if (opts.shift && counted.threshold !== null) {
        const pairs = (known.pairs ??= interIdentityDistances(gallery));
        const moved = shiftThreshold(curve, counted.threshold, pairwiseFarForOpenSet(targetFar, counted.comparisons), pairs, identities);
        if (moved.shifted) base = { threshold: moved.threshold, source: `${counted.source}-shift`, trials: moved.pairs };
      }
      const t = withGalleryThreshold(base.threshold, targetFar, trials, opts.gallery);
      const evidence: ThresholdEvidence = t.galleryFar
        ? { source: 'gallery', trials: trials.impostor.length, predictedFar: { value: t.galleryFar.value, lo: t.galleryFar.lo, hi: t.galleryFar.hi } }
        : { source: base.source, trials: base.trials, predictedFar: { value: targetFar, lo: null, hi: null } };
      return { threshold: t.threshold!, score, evidence };
    },
  };
}
