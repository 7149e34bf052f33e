/**
 * `model-curve-identities`: the open-set decision the service makes today (lib/matching/context.ts
 * `collectionThreshold`, without an admin override), as an `OpenSetPolicy`.
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
import type { FittedPolicy, GalleryEntry, OpenSetPolicy, ThresholdEvidence } from './policy';
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

/** The service's policy over a model's stored calibration curve. */
export function modelCurveIdentitiesPolicy(curve: CalibrationCurve): OpenSetPolicy {
  // fit() is called once per target FAR on the same gallery: its trials and its score function
  // (which does not depend on the FAR; callers may reuse rankings per function) are made once.
  const perGallery = new WeakMap<readonly GalleryEntry[], { trials: TrialSet; score: FittedPolicy['score'] }>();
  return {
    name: 'model-curve-identities',
    fit(gallery, targetFar): FittedPolicy {
      if (gallery.length === 0) throw new InputError('invalid_gallery', 'model-curve-identities: the gallery is empty; enrol at least one image');
      const known = perGallery.get(gallery) ?? { trials: computeTrialsNow(gallery), score: (query: Float32Array) => nearestPerIdentity(gallery, query) };
      perGallery.set(gallery, known);
      const { trials, score } = known;
      let threshold: number;
      let evidence: ThresholdEvidence;
      if (galleryInForce(trials, targetFar)) {
        threshold = targetPoint(trials, targetFar).threshold!;
        const { far } = ratesAt(trials, threshold);
        evidence = { source: 'gallery', trials: trials.impostor.length, predictedFar: { value: far.value, lo: far.lo, hi: far.hi } };
      } else {
        threshold = openSetThreshold(curve, targetFar, new Set(gallery.map((g) => g.identity)).size);
        evidence = { source: 'model-curve', trials: 0, predictedFar: { value: targetFar, lo: null, hi: null } };
      }
      return { threshold, evidence, score };
    },
  };
}
