/**
 * The calibration report of a collection (admin): its gallery trials under the current model
 * (gallery-calibration.ts), the threshold in force and where it comes from, FAR and FRR there with
 * bootstrap intervals, the target FARs the gallery can measure, the ROC curve, and the domain guard
 * (whether the model separates the gallery's identities at all, issue 19).
 */
import {
  COLLAPSE_CEILING,
  MIN_IDENTITIES_FOR_GALLERY_THRESHOLD,
  MIN_IDENTITIES_FOR_SEPARATION,
  ratesAt,
  rocCurve,
  SEPARATION_AUC_FLOOR,
  separationOf,
  summaryOf,
  targetPoint,
  TARGET_FARS,
  type Separation,
} from '@/lib/calibration';
import type { Principal } from '@/lib/auth';
import { requireAdmin } from './caller';
import { collectionThreshold, gallerySize, loadCollection, modelFor, runtime, scoringOf, type CollectionRow } from './context';
import { freshTrials } from './gallery-calibration';
import type { CalibrationReport, SeparationReport } from './contract/calibration';

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/** The calibration report of a collection; computes fresh trials when the gallery changed. */
export async function getCalibrationReport(caller: Principal, collectionId: string): Promise<CalibrationReport> {
  requireAdmin(caller, 'reading the calibration');
  const rt = runtime();
  const c = await loadCollection(rt.db, caller, collectionId);
  const model = await modelFor(rt, c);
  const trials = await freshTrials(rt.db, c, scoringOf(model));
  const threshold = collectionThreshold(c, model, await gallerySize(rt.db, c), trials);
  const both = trials.genuine.length > 0 && trials.impostor.length > 0;
  return {
    collectionId,
    modelVersion: c.modelVersion,
    sequence: trials.sequence,
    computedAt: trials.computedAt,
    eligibleIdentities: trials.eligibleIdentities,
    minIdentities: MIN_IDENTITIES_FOR_GALLERY_THRESHOLD,
    targetFar: c.targetFar,
    threshold,
    trials: { genuine: trials.genuine.length, impostor: trials.impostor.length, sampled: trials.sampled },
    genuine: Array.from(trials.genuine, round),
    impostor: Array.from(trials.impostor, round),
    ...summaryOf(trials),
    atThreshold: both && threshold.distance !== null ? ratesAt(trials, threshold.distance) : null,
    targets: TARGET_FARS.map((far) => targetPoint(trials, far)),
    roc: both ? rocCurve(trials.genuine, trials.impostor, 200) : null,
    separation: separationReport(c, separationOf(trials.pairs, trials.eligibleIdentities, model.manifest.calibration.thresholds.far1e2.distance)),
  };
}

/** The guard's verdict with its floors and, when it fires, advice for the collection's kind and domain. */
function separationReport(c: Pick<CollectionRow, 'kind' | 'domain'>, s: Separation): SeparationReport {
  const why =
    s.pairwiseAuc !== null && s.pairwiseAuc < SEPARATION_AUC_FLOOR
      ? `its pairwise AUC on this gallery is ${s.pairwiseAuc.toFixed(3)}, under ${SEPARATION_AUC_FLOOR}`
      : `${((s.collapsedShare ?? 0) * 100).toFixed(0)}% of the pairs of different identities lie within its FAR 1e-2 distance, where its calibration promises 1%`;
  const other = c.domain === 'photos' ? 'drawings' : 'photos';
  const fix =
    c.kind === 'object'
      ? `If these images are ${other}, create a ${other} collection and enroll them there (its model is trained for ${other}); otherwise retrain the model on this gallery (Model and retraining).`
      : 'Retrain the model on this gallery (Model and retraining).';
  return {
    ...s,
    aucFloor: SEPARATION_AUC_FLOOR,
    collapseCeiling: COLLAPSE_CEILING,
    minIdentities: MIN_IDENTITIES_FOR_SEPARATION,
    advice: s.verdict === 'cannot_separate' ? `The model cannot separate this gallery's identities: ${why}. ${fix}` : null,
  };
}
