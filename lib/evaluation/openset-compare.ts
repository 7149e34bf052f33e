/**
 * `evaluate compare-openset`: candidate minus baseline TAR per open-set cell, with a paired
 * bootstrap 95% interval (issue 19: the photo head against the raw backbone feature). Both runs
 * must be of the same data, seed and repeats, so that each drew the same galleries, strangers and
 * genuine queries. Queries of one identity are correlated (same object, same shots), so the
 * bootstrap resamples identities, not queries: each resample draws the genuine identities with
 * replacement and takes, for both models on the same draw,
 *   gain* = sum_i acceptedB_i / sum_i queries_i - sum_i acceptedA_i / sum_i queries_i;
 * the interval is the 2.5th and 97.5th percentiles of gain* over `resamples` (`percentileInterval`).
 * Cells pair by policy, gallery size, shots and target FAR; with `policies`, a baseline policy's
 * cells pair with a candidate policy's instead (two policies of one run drew the same trials: the
 * service against the rule before it, issue 18).
 */
import { createRng } from '@/lib/calibration/rng';
import { percentileInterval } from '@/lib/calibration/wilson';
import { InputError } from '@/lib/errors';
import type { OpenSetJson } from './openset-run';
import type { OpenSetCell } from './openset';

/** One cell's paired comparison. */
export interface CellGain {
  /** The candidate's policy. */
  policy: string;
  /** The baseline's policy (the same unless `policies` paired two). */
  baselinePolicy: string;
  size: OpenSetCell['size'];
  shots: number;
  targetFar: number;
  baselineTar: number;
  candidateTar: number;
  /** candidate TAR - baseline TAR, with its paired identity-bootstrap 95% interval. */
  tarGain: { value: number; lo: number; hi: number };
  /** Genuine identities resampled, and genuine queries per model. */
  identities: number;
  genuineQueries: number;
  /** Each model's measured FAR at the cell's threshold (a TAR gain bought with FAR is no gain). */
  baselineFar: number;
  candidateFar: number;
}

/** JSON of `evaluate compare-openset`. */
export interface OpenSetComparisonJson {
  task: 'compare-openset';
  data: string;
  baseline: string;
  candidate: string;
  seed: number;
  repeats: number;
  resamples: number;
  cells: CellGain[];
}

const isCell = (c: OpenSetJson['cells'][number]): c is OpenSetCell => !('unavailable' in c);
const keyOf = (c: { size: OpenSetCell['size']; shots: number; targetFar: number }, policy: string) => `${policy}|${c.size}|${c.shots}|${c.targetFar}`;

/** Options of `compareOpenSet`. */
export interface CompareOptions {
  resamples: number;
  seed: number;
  /** Pair the baseline's cells of one policy with the candidate's of another (default: each policy with itself). */
  policies?: { baseline: string; candidate: string };
}

/** Pairs the cells of two `evaluate openset` results; throws `invalid_args` when they did not draw the same trials. */
export function compareOpenSet(baseline: OpenSetJson, candidate: OpenSetJson, opts: CompareOptions): OpenSetComparisonJson {
  const same = (['data', 'seed', 'repeats', 'identities', 'images'] as const).filter((k) => baseline[k] !== candidate[k]);
  if (same.length > 0) {
    throw new InputError('invalid_args', `compare-openset: the runs differ in ${same.join(', ')} (baseline ${same.map((k) => baseline[k]).join(', ')}, candidate ${same.map((k) => candidate[k]).join(', ')}); rerun both on the same data with the same --seed and --repeats`);
  }
  const { policies } = opts;
  // With `policies`, both sides are keyed by the candidate's policy name.
  const base = new Map(baseline.cells.filter(isCell).filter((c) => !policies || c.policy === policies.baseline).map((c) => [keyOf(c, policies?.candidate ?? c.policy), c]));
  const cells: CellGain[] = [];
  for (const b of candidate.cells.filter(isCell)) {
    if (policies && b.policy !== policies.candidate) continue;
    const a = base.get(keyOf(b, b.policy));
    if (!a) continue;
    if (!a.genuineByIdentity || !b.genuineByIdentity) throw new InputError('invalid_args', 'compare-openset: a result has no genuineByIdentity (written before it existed); rerun evaluate openset');
    const names = Object.keys(b.genuineByIdentity).sort();
    const queries = names.map((n) => b.genuineByIdentity[n].queries);
    if (names.some((n, i) => a.genuineByIdentity[n]?.queries !== queries[i])) {
      throw new InputError('invalid_args', `compare-openset: cell ${keyOf(b, b.policy)} drew different genuine queries in the two runs; they are not paired`);
    }
    const accA = names.map((n) => a.genuineByIdentity[n].accepted);
    const accB = names.map((n) => b.genuineByIdentity[n].accepted);
    const gainOf = (idx: readonly number[]) => {
      let q = 0, ka = 0, kb = 0;
      for (const i of idx) {
        q += queries[i];
        ka += accA[i];
        kb += accB[i];
      }
      return (kb - ka) / q;
    };
    const rng = createRng(opts.seed);
    const gains = Float64Array.from({ length: opts.resamples }, () => gainOf(names.map(() => rng.int(names.length)))).sort();
    cells.push({
      policy: b.policy, baselinePolicy: a.policy, size: b.size, shots: b.shots, targetFar: b.targetFar,
      baselineTar: a.tar.value, candidateTar: b.tar.value,
      tarGain: { value: gainOf(names.map((_, i) => i)), ...percentileInterval(gains) },
      identities: names.length, genuineQueries: a.tar.n,
      baselineFar: a.far.value, candidateFar: b.far.value,
    });
  }
  return { task: 'compare-openset', data: candidate.data, baseline: baseline.model, candidate: candidate.model, seed: candidate.seed, repeats: candidate.repeats, resamples: opts.resamples, cells };
}
