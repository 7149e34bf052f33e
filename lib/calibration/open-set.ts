/**
 * Open-set thresholds: a pairwise calibration curve (roc.ts) read at the pairwise FAR that gives a
 * target open-set FAR against a gallery of N identities.
 */
import { InputError } from '@/lib/errors';
import { distanceAtFar, type CalibrationCurve } from './roc';

/**
 * Pairwise FAR p that gives open-set FAR `targetOpenSetFar` against a gallery of N identities.
 * A stranger is accepted when ANY of the N enrolled identities is within the threshold; with
 * independent comparisons P(accept) = 1 - (1 - p)^N, so p = 1 - (1 - FAR)^(1/N),
 * computed as -expm1(log1p(-FAR) / N) to stay exact for tiny values (p ~ FAR/N for small FAR).
 * N is the comparisons counted, any positive number: identities at their measured worth
 * (open-set-table.ts) need not be whole, and a centroid can count under one.
 */
export function pairwiseFarForOpenSet(targetOpenSetFar: number, galleryIdentities: number): number {
  if (!(targetOpenSetFar > 0 && targetOpenSetFar < 1)) {
    throw new InputError('invalid_threshold', `target open-set FAR must be in (0, 1), got ${targetOpenSetFar}`);
  }
  if (!(Number.isFinite(galleryIdentities) && galleryIdentities > 0)) {
    throw new InputError('invalid_threshold', `the comparisons counted must be positive, got ${galleryIdentities}`);
  }
  return -Math.expm1(Math.log1p(-targetOpenSetFar) / galleryIdentities);
}

/**
 * The decision threshold for a gallery of `galleryIdentities` identities at a target open-set FAR
 * (default product setting 1e-2): the largest distance whose pairwise FAR <= p = 1-(1-FAR)^(1/N),
 * read from the stored calibration curve. The one function the service and `evaluate` both call.
 */
export function openSetThreshold(curve: CalibrationCurve, targetOpenSetFar: number, galleryIdentities: number): number {
  return distanceAtFar(curve, pairwiseFarForOpenSet(targetOpenSetFar, galleryIdentities));
}
