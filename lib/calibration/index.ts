/**
 * Pure maths of decisions: ROC/DET curves, AUC, EER and thresholds at a target FAR (roc.ts), the
 * open-set conversion (open-set.ts), the match/unknown decision over neighbours (decision.ts), and
 * Wilson intervals of measured rates (interval.ts).
 * the open-set policies: cohort score normalisation and stranger-trial thresholds (cohort*.ts);
 * the domain guard: whether a model separates a gallery's identities at all (separation.ts).
 * An identity's score: its nearest image, or its centroid (centroid.ts), as the model's open-set table was measured.
 * The identity-bootstrap bound of a pairwise curve, which the service reads at a pairwise FAR (identity-bound.ts).
 * No database, no ML, no I/O.
 */
export { aucOf, calibrate, countAtMost, distanceAtFar, eerOf, rocCurve, type Calibration, type CalibrationCurve, type ThresholdPoint } from './roc';
export { openSetThreshold, pairwiseFarForOpenSet } from './open-set';
export { decide, groupByIdentity, type Decision, type Neighbour } from './decision';
export { bestPerIdentity, type FittedPolicy, type GalleryEntry, type OpenSetPolicy, type ThresholdEvidence } from './policy';
export { createRng, type Rng } from './rng';
export { pairDistances, squaredDistance, vectorsByIdentity } from './vectors';
export {
  computeTrials,
  computeTrialsNow,
  eligibleQueries,
  galleryInForce,
  MAX_TRIAL_QUERIES,
  MIN_IDENTITIES_FOR_GALLERY_THRESHOLD,
  ratesAt,
  scoreQueries,
  summaryOf,
  TARGET_FARS,
  targetPoint,
  type Aggregate,
  type RateEstimate,
  type TargetFarPoint,
  type TrialRow,
  type TrialSet,
} from './gallery-trials';
export { galleryShowsTooLoose, modelCurvePolicy, modelThreshold, nearestPerIdentity, withGalleryThreshold, type ModelCurveOptions, type ModelCurveThreshold } from './model-curve-policy';
export { interIdentityDistances, shiftThreshold, type ShiftedThreshold } from './gallery-shift';
export { BOUND_CONFIDENCE, BOUND_FARS, BOUND_MAX_IDENTITIES, BOUND_RESAMPLES, boundThreshold, pairwiseBound, type PairwiseBound } from './identity-bound';
export { buildOpenSetTable, effectiveComparisons, modelOpenSetTable, TABLE_REPEATS, openSetTableThreshold, TABLE_FARS, type OpenSetTable, type OpenSetTableShape, type TableIdentity } from './open-set-table';
export { createPolicy, POLICIES, type PolicyFactory, type PolicyModel } from './policies';
export { centroidOf, centroidScores, galleryCentroids } from './centroid';
export { percentileInterval, wilsonRate, type IntervalRate } from './wilson';
export { asNorm, cohortStats, thresholdFromTrials, unitDistance, type Cohort, type CohortStats } from './cohort';
export { cohortPolicy, COHORT_SETTINGS, type CohortPolicyOptions } from './cohort-policy';
export {
  COLLAPSE_CEILING,
  MAX_SEPARATION_PAIRS,
  MIN_IDENTITIES_FOR_SEPARATION,
  pairScores,
  SEPARATION_AUC_FLOOR,
  separationOf,
  type PairScores,
  type Separation,
} from './separation';
