/**
 * Candidate vs current model on the same examples: the open-set trials of calibration (genuine =
 * distance of a query to its identity's nearest other example, impostor = distance to the nearest
 * other identity) under each model, with each model's own threshold for the collection's target FAR
 * and that many identities. The retraining job compares twice (lib/matching/models/retrain-job.ts):
 * - on held-out gallery identities (issue 8), every example a query: how the candidate does on
 *   identities it never trained on, such as strangers and later enrolments;
 * - on the training identities (issue 19), the images held out of training as queries against
 *   every other example of the whole gallery (the identities it did not train on among them): how
 *   it does on new images of the gallery's own identities, searched as the gallery searches them.
 * The AUC gain's 95% interval comes from a paired bootstrap over the queries (both models see the
 * same resampled queries), so "the gain is inside the interval" means the interval holds 0.
 */
import { aucOf, eerOf, eligibleQueries, openSetThreshold, percentileInterval, ratesAt, rocCurve, scoreQueries, type CalibrationCurve, type RateEstimate } from '@/lib/calibration';
import { createRng } from '@/lib/calibration/rng';

/** Bootstrap resamples of the AUC gain interval. */
const BOOTSTRAP = 400;
/** ROC points kept per model for the plot. */
const ROC_POINTS = 120;

/** One model's embeddings of the held-out examples and its calibration curve. */
export interface ComparedModel {
  version: string;
  /** The model manifest's calibration curve (its threshold comes from here). */
  curve: CalibrationCurve;
  /** Embeddings of the held-out examples, in the same order for both models. */
  vectors: Float32Array[];
}

/** How one model does on the held-out identities. */
export interface ModelScore {
  version: string;
  /** The model's threshold at the target FAR for `identities` identities. */
  threshold: number;
  auc: number;
  eer: number;
  /** Share of genuine trials at or under the threshold. */
  tar: RateEstimate;
  /** Share of impostor trials at or under the threshold. */
  far: RateEstimate;
  /** ROC points `[far, tar]`. */
  roc: [number, number][];
}

/** The comparison a retraining job stores and the page draws. */
export interface ModelComparison {
  /** Identities searched (the threshold's count): every identity of the examples compared. */
  identities: number;
  genuineTrials: number;
  impostorTrials: number;
  targetFar: number;
  current: ModelScore;
  candidate: ModelScore;
  /** candidate AUC - current AUC, with its paired-bootstrap 95% interval. */
  aucGain: { value: number; lo: number; hi: number };
  /** True when the interval holds 0: the gain may be noise (Promote warns). */
  gainWithinNoise: boolean;
}

function score(version: string, curve: CalibrationCurve, own: Float64Array, other: Float64Array, targetFar: number, identities: number): ModelScore {
  const impostor = other.filter(Number.isFinite);
  const threshold = openSetThreshold(curve, targetFar, identities);
  const { far, frr } = ratesAt({ genuine: own.slice().sort(), impostor: impostor.slice().sort() }, threshold);
  const tar: RateEstimate = { value: 1 - frr.value, n: frr.n, lo: 1 - frr.hi, hi: 1 - frr.lo, upperBound: null };
  const roc = rocCurve(own, impostor, ROC_POINTS);
  return { version, threshold, auc: aucOf(own, impostor), eer: eerOf(own, impostor), tar, far, roc: roc.far.map((f, i) => [f, roc.tar[i]]) };
}

/**
 * Compares two models on the examples `identityOf[i]` (ids of their identities): every example of
 * an identity with 2+ as a query, or only `queries` (indexes; each needs another example of its
 * identity), searched against every other example either way.
 */
export async function compareModels(
  identityOf: readonly string[],
  current: ComparedModel,
  candidate: ComparedModel,
  targetFar: number,
  opts: { seed?: number; queries?: readonly number[] } = {},
): Promise<ModelComparison> {
  const { queries, identities } = opts.queries
    ? { queries: [...opts.queries], identities: new Set(identityOf).size }
    : eligibleQueries(identityOf.map((identity) => ({ identity })));
  const scored = (m: ComparedModel) => scoreQueries(identityOf.map((identity, i) => ({ identity, vector: m.vectors[i] })), queries);
  const a = scored(current);
  const b = scored(candidate);
  const cur = score(current.version, current.curve, a.own, a.other, targetFar, identities);
  const cand = score(candidate.version, candidate.curve, b.own, b.other, targetFar, identities);

  const rng = createRng(opts.seed ?? 1);
  const gains = new Float64Array(BOOTSTRAP);
  const n = queries.length;
  const pick = (src: Float64Array, idx: Uint32Array) => Float64Array.from(idx, (k) => src[k]);
  for (let r = 0; r < BOOTSTRAP; r++) {
    const idx = Uint32Array.from({ length: n }, () => rng.int(n));
    const auc = (s: { own: Float64Array; other: Float64Array }) => aucOf(pick(s.own, idx), pick(s.other, idx).filter(Number.isFinite));
    gains[r] = auc(b) - auc(a);
  }
  const { lo, hi } = percentileInterval(gains.sort());
  return {
    identities,
    genuineTrials: n,
    impostorTrials: a.other.filter(Number.isFinite).length,
    targetFar,
    current: cur,
    candidate: cand,
    aucGain: { value: cand.auc - cur.auc, lo, hi },
    gainWithinNoise: lo <= 0 && hi >= 0,
  };
}
