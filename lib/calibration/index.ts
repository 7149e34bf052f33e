/**
 * Pure maths of decisions: ROC/DET curves, AUC, EER and thresholds at a target FAR (roc.ts), the
 * open-set conversion (open-set.ts), the match/unknown decision over neighbours (decision.ts), and
 * the open-set policies: cohort score normalisation and stranger-trial thresholds (cohort*.ts).
 * No database, no ML, no I/O.
 */
export { aucOf, calibrate, countAtMost, distanceAtFar, eerOf, rocCurve, type Calibration, type CalibrationCurve, type ThresholdPoint } from './roc';
export { openSetThreshold, pairwiseFarForOpenSet } from './open-set';
export { decide, groupByIdentity, type Decision, type Neighbour } from './decision';
export type { FittedPolicy, GalleryEntry, OpenSetPolicy, ThresholdEvidence } from './policy';
export { asNorm, cohortStats, thresholdFromTrials, unitDistance, wilsonInterval, type Cohort, type CohortStats } from './cohort';
export { bestPerIdentity, cohortPolicy, COHORT_SETTINGS, modelCurveImagesPolicy, type CohortPolicyOptions } from './cohort-policy';
