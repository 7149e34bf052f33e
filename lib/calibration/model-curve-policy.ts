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
import { computeTrialsNow, galleryInForce, ratesAt, targetPoint, type RateEstimate, type TrialSet } from './gallery-trials';
import { openSetThreshold } from './open-set';
import { bestPerIdentity, type FittedPolicy, type GalleryEntry, type OpenSetPolicy, type ThresholdEvidence } from './policy';
import type { CalibrationCurve } from './roc';
import { squaredDistance } from './vectors';

/** Best distance per identity of `gallery` to `query`, ascending (ties by identity key). */
export function nearestPerIdentity(gallery: readonly GalleryEntry[], query: Float32Array): { identity: string; score: number }[] {
  return bestPerIdentity(gallery, (i) => Math.sqrt(squaredDistance(query, gallery[i].vector)));
}

/** A model-curve threshold and, when the gallery's own trials set it, their FAR there. */
export interface ModelCurveThreshold {
  /** null only with neither a curve nor gallery trials in force. */
  threshold: number | null;
  /** The gallery trials' FAR at the threshold when they set it, else null (the curve did). */
  galleryFar: RateEstimate | null;
}

/**
 * The one decision rule of the model-curve thresholds, for the policies here and the service
 * (lib/matching/context.ts `collectionThreshold`): the curve read at the open-set FAR over
 * `comparisons` (1-(1-p)^n = FAR, `openSetThreshold`), and the gallery's own leave-one-identity-out
 * threshold once in force (`galleryInForce`), which `replace`s the curve's or only `tighten`s it
 * (taken when stricter). `curve` null: the model is not loaded; then only the gallery can set it.
 */
export function modelCurveThreshold(curve: CalibrationCurve | null, targetFar: number, comparisons: number, trials: TrialSet | null, gallery: 'replace' | 'tighten'): ModelCurveThreshold {
  const fromCurve = curve ? openSetThreshold(curve, targetFar, Math.max(1, comparisons)) : null;
  const fromGallery = galleryInForce(trials, targetFar) ? targetPoint(trials, targetFar).threshold! : null;
  if (fromGallery !== null && (gallery === 'replace' || fromCurve === null || fromGallery < fromCurve)) {
    return { threshold: fromGallery, galleryFar: ratesAt(trials!, fromGallery).far };
  }
  return { threshold: fromCurve, galleryFar: null };
}

/** How a model-curve policy counts the gallery and uses the gallery's own trials. */
export interface ModelCurveOptions {
  /** N of the open-set conversion: enrolled `identities` (the service before issue 18) or `images` (since). */
  count: 'identities' | 'images';
  /** The gallery threshold, once in force, `replace`s the curve's (before issue 18) or only `tighten`s it (since). */
  gallery: 'replace' | 'tighten';
}

/**
 * The policy over a model's stored calibration curve: `model-curve-identities` (count identities,
 * the gallery replaces) is the service before issue 18, `model-curve-images` (count images, the
 * gallery only tightens) the service since (lib/matching/context.ts `collectionThreshold`).
 */
export function modelCurvePolicy(curve: CalibrationCurve, opts: ModelCurveOptions): OpenSetPolicy {
  const name = `model-curve-${opts.count}`;
  // fit() is called once per target FAR on the same gallery: its trials and its score function
  // (which does not depend on the FAR; callers may reuse rankings per function) are made once.
  const perGallery = new WeakMap<readonly GalleryEntry[], { trials: TrialSet; score: FittedPolicy['score'] }>();
  return {
    name,
    fit(gallery, targetFar): FittedPolicy {
      if (gallery.length === 0) throw new InputError('invalid_gallery', `${name}: the gallery is empty; enrol at least one image`);
      const known = perGallery.get(gallery) ?? { trials: computeTrialsNow(gallery), score: (query: Float32Array) => nearestPerIdentity(gallery, query) };
      perGallery.set(gallery, known);
      const { trials, score } = known;
      const n = opts.count === 'images' ? gallery.length : new Set(gallery.map((g) => g.identity)).size;
      const t = modelCurveThreshold(curve, targetFar, n, trials, opts.gallery);
      const evidence: ThresholdEvidence = t.galleryFar
        ? { source: 'gallery', trials: trials.impostor.length, predictedFar: { value: t.galleryFar.value, lo: t.galleryFar.lo, hi: t.galleryFar.hi } }
        : { source: opts.count === 'images' ? 'model-curve-images' : 'model-curve', trials: 0, predictedFar: { value: targetFar, lo: null, hi: null } };
      return { threshold: t.threshold!, score, evidence };
    },
  };
}
