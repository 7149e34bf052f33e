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
import { computeTrialsNow, galleryInForce, ratesAt, targetPoint, type TrialSet } from './gallery-trials';
import { openSetThreshold } from './open-set';
import type { FittedPolicy, GalleryEntry, OpenSetPolicy } from './policy';
import type { CalibrationCurve } from './roc';
import { squaredDistance } from './vectors';

/** Best distance per identity of `gallery` to `query`, ascending (ties by identity key). */
export function nearestPerIdentity(gallery: readonly GalleryEntry[], query: Float32Array): { identity: string; score: number }[] {
  const best = new Map<string, number>();
  for (const g of gallery) {
    const d = Math.sqrt(squaredDistance(query, g.vector));
    if (d < (best.get(g.identity) ?? Infinity)) best.set(g.identity, d);
  }
  return [...best].map(([identity, score]) => ({ identity, score })).sort((a, b) => a.score - b.score || (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0));
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
      const fromCurve = openSetThreshold(curve, targetFar, n);
      const fromGallery = galleryInForce(trials, targetFar) ? targetPoint(trials, targetFar).threshold! : null;
      if (fromGallery !== null && (opts.gallery === 'replace' || fromGallery < fromCurve)) {
        const { far } = ratesAt(trials, fromGallery);
        return { threshold: fromGallery, score, evidence: { source: 'gallery', trials: trials.impostor.length, predictedFar: { value: far.value, lo: far.lo, hi: far.hi } } };
      }
      return { threshold: fromCurve, score, evidence: { source: opts.count === 'images' ? 'model-curve-images' : 'model-curve', trials: 0, predictedFar: { value: targetFar, lo: null, hi: null } } };
    },
  };
}
