/**
 * Pure maths of decisions: ROC/DET curves, AUC, EER and thresholds at a target FAR (roc.ts), the
 * open-set conversion (open-set.ts), and the match/unknown decision over neighbours (decision.ts).
 * No database, no ML, no I/O.
 */
export { aucOf, calibrate, countAtMost, distanceAtFar, eerOf, rocCurve, type Calibration, type CalibrationCurve, type ThresholdPoint } from './roc';
export { openSetThreshold, pairwiseFarForOpenSet } from './open-set';
export { decide, groupByIdentity, type Decision, type Neighbour } from './decision';
export { proportion, type Proportion } from './proportion';
export type { FittedPolicy, GalleryEntry, OpenSetPolicy, ThresholdEvidence } from './policy';
