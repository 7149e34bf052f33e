/**
 * The open-set grid (issue 18, item 5), on embeddings computed once. Each repeat (seeded):
 * shuffle the identities, hold out a share as strangers (disjoint from every gallery), and for each
 * shots K draw K usable images of each other identity that has at least K+1 usable images (the
 * others are skipped for that K and counted); the gallery of size S is the first S of them ("all" =
 * every one). The remaining images of gallery identities are genuine queries; every image of every
 * stranger is a stranger query. Each policy is fitted to the gallery at each target FAR and decides
 * every query: match when the best identity's score <= the fitted threshold.
 *
 * Per cell (size × shots × FAR × policy), counts pooled over repeats:
 *   far      = stranger queries accepted / stranger queries (Wilson 95% interval), and far / target;
 *   tar      = genuine queries answered with their own identity under the threshold / genuine queries;
 *   misidentified = genuine queries answered with another identity under the threshold / genuine queries;
 *   rank1    = genuine queries whose best identity is their own, ignoring the threshold;
 *   refused  = query images the pipeline refused (no embedding) / query images; refused images are
 *              left out of the rates above (they never reach a decision);
 *   judged   = stranger queries >= 3 / target (rule of three: fewer cannot show FAR <= target);
 *   over     = far > 1.5 × target (the Must-show bound);
 *   farOverRepeats = the 95% percentile-bootstrap interval of `far` over repeats (REPEAT_BOOTSTRAP
 *              resamples of the repeats with replacement, each giving pooled accepted / pooled
 *              queries). Wilson's interval treats every stranger query as independent, but one
 *              repeat's queries share its gallery and strangers, and acceptances come in clumps (a
 *              stranger identity near one gallery identity accepts many of its images): with few
 *              repeats it is far too narrow, and this one is not.
 *
 * With `measured`, each policy also gets cells named `<policy>@measured`: the same draws and score,
 * but each repeat's threshold is read from that repeat's strangers, the largest that accepts at
 * most floor(target x stranger queries) of them (`measuredThreshold`). That is the open-set ROC's operating point at
 * the target (TAR at a FAR the test itself measured), what the embedding can do when its threshold
 * is right; no service can run it (it sees the strangers), so it compares embeddings whose
 * calibrations differ (issue 19: a raw feature whose calibrated threshold accepts 5x the target
 * also has its TAR inflated by it), never a decision rule.
 */
import { percentileInterval, wilsonRate, type FittedPolicy, type GalleryEntry, type IntervalRate, type OpenSetPolicy } from '@/lib/calibration';
import { InputError } from '@/lib/errors';
import { createUniform, shuffled } from './random';

/** Gallery size: a number of identities, or `all` (every identity not held out). */
export type GallerySize = number | 'all';

/** One identity of the data: its images' embeddings, null where the pipeline refused the image. */
export interface OpenSetIdentity {
  name: string;
  images: readonly (Float32Array | null)[];
}

/** Options of `evaluateOpenSet`. */
export interface OpenSetOptions {
  sizes: readonly GallerySize[];
  shots: readonly number[];
  fars: readonly number[];
  policies: readonly OpenSetPolicy[];
  repeats: number;
  seed: number;
  /** Share of identities held out as strangers (default 1/3). */
  strangerShare?: number;
  /** Also the `<policy>@measured` cells (see the top of this file). */
  measured?: boolean;
  /** Hears the end of each repeat (progress). */
  onRepeat?: (done: number, repeats: number) => void;
}

/** Name of a policy's measured-FAR cells. */
export const measuredName = (policy: string): string => `${policy}@measured`;

/** The cell names a policy fills: its own, and its measured cells' with `measured`. */
const cellNames = (policy: OpenSetPolicy, opts: Pick<OpenSetOptions, 'measured'>): string[] => [policy.name, ...(opts.measured ? [measuredName(policy.name)] : [])];

/**
 * The largest threshold (match when score <= it) that accepts at most floor(far x n) of the
 * strangers' best scores: the double just below the first score it must reject (so a tie at the
 * boundary is rejected whole), or +Infinity when it may accept them all.
 */
export function measuredThreshold(strangerScores: readonly number[], far: number): number {
  const sorted = [...strangerScores].sort((a, b) => a - b);
  const allowed = Math.floor(far * sorted.length);
  return allowed >= sorted.length ? Infinity : nextDown(sorted[allowed]);
}

/** The largest double below x (x finite). */
function nextDown(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const bits = new BigInt64Array(new Float64Array([x]).buffer);
  bits[0] += x > 0 ? -1n : 1n; // IEEE 754 doubles of one sign are ordered as their bit patterns
  return new Float64Array(bits.buffer)[0];
}

/** Counts of one cell, pooled over repeats. */
export interface CellCounts {
  strangerQueries: number;
  strangerAccepted: number;
  genuineQueries: number;
  genuineAccepted: number;
  misidentified: number;
  rank1: number;
  /** Query images refused by the pipeline (not in the counts above). */
  refused: number;
}

/** Resamples of the repeat bootstrap (`farOverRepeats`). */
export const REPEAT_BOOTSTRAP = 2000;

/** The 95% percentile-bootstrap interval of pooled k / n over repeats (see `farOverRepeats` at the top of this file); seeded. */
export function repeatBootstrap(perRepeat: readonly { k: number; n: number }[], seed: number): { lo: number; hi: number } {
  if (perRepeat.length === 0) return { lo: 0, hi: 1 };
  const rng = createUniform(seed);
  const rates = new Float64Array(REPEAT_BOOTSTRAP);
  for (let b = 0; b < REPEAT_BOOTSTRAP; b++) {
    let k = 0;
    let n = 0;
    for (let i = 0; i < perRepeat.length; i++) {
      const r = perRepeat[Math.floor(rng() * perRepeat.length)];
      k += r.k;
      n += r.n;
    }
    rates[b] = n === 0 ? 0 : k / n;
  }
  return percentileInterval(rates.sort());
}

/** The rates of a cell (definitions at the top of this file). */
export interface CellRates {
  far: IntervalRate;
  farOverTarget: number;
  tar: IntervalRate;
  misidentified: IntervalRate;
  rank1: IntervalRate;
  refused: { count: number; of: number; share: number };
  judged: boolean;
  over: boolean;
}

/** One cell of the grid. */
export interface OpenSetCell extends CellRates {
  /** The FAR's interval over repeats (see the top of this file). */
  farOverRepeats: { lo: number; hi: number };
  policy: string;
  size: GallerySize;
  shots: number;
  targetFar: number;
  repeats: number;
  /** Gallery identities per repeat. */
  galleryIdentities: number;
  /** Identities per repeat (mean) skipped for having fewer than shots+1 usable images. */
  skippedIdentities: number;
  /** Threshold over repeats. */
  threshold: { mean: number; min: number; max: number };
  /** How many repeats took their threshold from each source, and the mean stranger trials behind it. */
  sources: Record<string, number>;
  meanThresholdTrials: number;
  /** Genuine queries and those accepted as their own identity, per identity, pooled over repeats (for paired comparisons of models: ./openset-compare.ts). */
  genuineByIdentity: Record<string, { queries: number; accepted: number }>;
}

/** A cell that could not be drawn (too few eligible identities for its size). */
export interface UnavailableCell {
  policy: string;
  size: GallerySize;
  shots: number;
  targetFar: number;
  unavailable: string;
}

/** Rates of pooled counts at a target FAR (definitions at the top of this file). */
export function cellRates(c: CellCounts, targetFar: number): CellRates {
  const far = wilsonRate(c.strangerAccepted, c.strangerQueries);
  const of = c.strangerQueries + c.genuineQueries + c.refused;
  return {
    far,
    farOverTarget: far.value / targetFar,
    tar: wilsonRate(c.genuineAccepted, c.genuineQueries),
    misidentified: wilsonRate(c.misidentified, c.genuineQueries),
    rank1: wilsonRate(c.rank1, c.genuineQueries),
    refused: { count: c.refused, of, share: of === 0 ? 0 : c.refused / of },
    judged: c.strangerQueries >= 3 / targetFar,
    over: far.value > 1.5 * targetFar,
  };
}

/** Mutable pooled state of one cell. */
interface CellState {
  counts: CellCounts;
  thresholds: number[];
  sources: Record<string, number>;
  trials: number;
  gallery: number;
  skipped: number;
  unavailable: string | null;
  byIdentity: Record<string, { queries: number; accepted: number }>;
  /** Stranger queries and acceptances of each repeat. */
  strangersByRepeat: { k: number; n: number }[];
}

const cellKey = (policy: string, size: GallerySize, shots: number, far: number) => `${policy}|${size}|${shots}|${far}`;

function usableOf(images: readonly (Float32Array | null)[]): Float32Array[] {
  return images.flatMap((v) => (v ? [v] : []));
}

/** Runs the grid; throws `invalid_dataset` when there are too few identities to hold strangers out. */
export function evaluateOpenSet(identities: readonly OpenSetIdentity[], opts: OpenSetOptions): (OpenSetCell | UnavailableCell)[] {
  const nStrangers = Math.round(identities.length * (opts.strangerShare ?? 1 / 3));
  if (nStrangers < 1 || identities.length - nStrangers < 1) {
    throw new InputError('invalid_dataset', `openset needs identities for both strangers and the gallery; got ${identities.length} identities (${nStrangers} strangers)`);
  }
  const rng = createUniform(opts.seed);
  const cells = new Map<string, CellState>();
  const state = (key: string): CellState => {
    const s = cells.get(key) ?? { counts: { strangerQueries: 0, strangerAccepted: 0, genuineQueries: 0, genuineAccepted: 0, misidentified: 0, rank1: 0, refused: 0 }, thresholds: [], sources: {}, trials: 0, gallery: 0, skipped: 0, unavailable: null, byIdentity: {}, strangersByRepeat: [] };
    cells.set(key, s);
    return s;
  };
  for (let r = 0; r < opts.repeats; r++) {
    const order = shuffled(identities.map((_, i) => i), rng);
    const strangers = order.slice(0, nStrangers);
    const candidates = order.slice(nStrangers);
    // One draw of image order per identity and repeat: the K shots are its first K usable images.
    const drawn = new Map(candidates.map((i) => [i, shuffled(usableOf(identities[i].images), rng)]));
    const strangerQueries = strangers.flatMap((i) => usableOf(identities[i].images));
    const strangerRefused = strangers.reduce((s, i) => s + identities[i].images.length - usableOf(identities[i].images).length, 0);
    for (const shots of opts.shots) {
      const eligible = candidates.filter((i) => drawn.get(i)!.length >= shots + 1);
      for (const size of opts.sizes) {
        const n = size === 'all' ? eligible.length : size;
        const members = eligible.slice(0, n);
        const gallery: GalleryEntry[] = members.flatMap((i) => drawn.get(i)!.slice(0, shots).map((vector) => ({ identity: identities[i].name, vector })));
        const genuine = members.flatMap((i) => drawn.get(i)!.slice(shots).map((vector) => ({ identity: identities[i].name, vector })));
        const genuineRefused = members.reduce((s, i) => s + identities[i].images.length - drawn.get(i)!.length, 0);
        const bestOf = new Map<FittedPolicy['score'], { identity: string; score: number }[]>();
        for (const policy of opts.policies) {
          for (const far of opts.fars) {
            if (n > eligible.length || n === 0) {
              for (const name of cellNames(policy, opts)) state(cellKey(name, size, shots, far)).unavailable ??= `needs ${n} identities with >= ${shots + 1} usable images; repeat ${r} had ${eligible.length}`;
              continue;
            }
            const fitted = policy.fit(gallery, far);
            // Best identity of each query (genuine, then stranger), once per distinct score function.
            const best = bestOf.get(fitted.score) ?? [...genuine.map((q) => q.vector), ...strangerQueries].map((v) => fitted.score(v)[0]);
            bestOf.set(fitted.score, best);
            const strangerScores = best.slice(genuine.length).map((b) => b.score);
            // The policy's own threshold, then (with `measured`) the one its strangers allow.
            const decisions = [
              { name: policy.name, threshold: fitted.threshold, source: fitted.evidence.source, trials: fitted.evidence.trials },
              ...(opts.measured ? [{ name: measuredName(policy.name), threshold: measuredThreshold(strangerScores, far), source: 'strangers', trials: strangerScores.length }] : []),
            ];
            for (const { name, threshold, source, trials } of decisions) {
              const cell = state(cellKey(name, size, shots, far));
              const c = cell.counts;
              genuine.forEach((q, k) => {
                const b = best[k];
                const own = (cell.byIdentity[q.identity] ??= { queries: 0, accepted: 0 });
                c.genuineQueries++;
                own.queries++;
                if (b.identity === q.identity) c.rank1++;
                if (b.score <= threshold) {
                  if (b.identity === q.identity) {
                    c.genuineAccepted++;
                    own.accepted++;
                  } else c.misidentified++;
                }
              });
              const repeat = { k: strangerScores.filter((s) => s <= threshold).length, n: strangerScores.length };
              c.strangerQueries += repeat.n;
              c.strangerAccepted += repeat.k;
              cell.strangersByRepeat.push(repeat);
              c.refused += genuineRefused + strangerRefused;
              cell.thresholds.push(threshold);
              cell.sources[source] = (cell.sources[source] ?? 0) + 1;
              cell.trials += trials;
              cell.gallery += members.length;
              cell.skipped += candidates.length - eligible.length;
            }
          }
        }
      }
    }
    opts.onRepeat?.(r + 1, opts.repeats);
  }
  const out: (OpenSetCell | UnavailableCell)[] = [];
  for (const name of opts.policies.flatMap((p) => cellNames(p, opts))) {
    for (const size of opts.sizes) {
      for (const shots of opts.shots) {
        for (const targetFar of opts.fars) {
          const s = cells.get(cellKey(name, size, shots, targetFar))!;
          const id = { policy: name, size, shots, targetFar };
          if (s.unavailable) {
            out.push({ ...id, unavailable: s.unavailable });
            continue;
          }
          const t = s.thresholds;
          out.push({
            ...id,
            ...cellRates(s.counts, targetFar),
            farOverRepeats: repeatBootstrap(s.strangersByRepeat, opts.seed),
            repeats: opts.repeats,
            galleryIdentities: s.gallery / opts.repeats,
            skippedIdentities: s.skipped / opts.repeats,
            threshold: { mean: t.reduce((a, b) => a + b, 0) / t.length, min: Math.min(...t), max: Math.max(...t) },
            sources: s.sources,
            meanThresholdTrials: s.trials / opts.repeats,
            genuineByIdentity: s.byIdentity,
          });
        }
      }
    }
  }
  return out;
}
