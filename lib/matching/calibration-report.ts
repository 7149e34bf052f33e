/**
 * The calibration report of a collection (admin): its gallery trials under the current model
 * (gallery-calibration.ts), the threshold in force and where it comes from, FAR and FRR there with
 * bootstrap intervals, the target FARs the gallery can measure, and the ROC curve.
 */
import { MIN_IDENTITIES_FOR_GALLERY_THRESHOLD, ratesAt, rocCurve, summaryOf, targetPoint, TARGET_FARS } from '@/lib/calibration';
import type { Principal } from '@/lib/auth';
import { requireAdmin } from './caller';
import { collectionThreshold, gallerySize, loadCollection, modelFor, runtime } from './context';
import { freshTrials } from './gallery-calibration';
import type { CalibrationReport } from './contract/calibration';

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/** The calibration report of a collection; computes fresh trials when the gallery changed. */
export async function getCalibrationReport(caller: Principal, collectionId: string): Promise<CalibrationReport> {
  requireAdmin(caller, 'reading the calibration');
  const rt = runtime();
  const c = await loadCollection(rt.db, caller, collectionId);
  const model = await modelFor(rt, c);
  const trials = await freshTrials(rt.db, c);
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
  };
}
