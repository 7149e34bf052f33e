/**
 * Open-set identification protocol (issue 3), on embeddings computed once:
 * each repeat shuffles the identities, holds a third out entirely as strangers, enrols K images
 * of every other identity (or of the first N of them: a small gallery) into a real in-memory HNSW index, and queries with the rest, deciding
 * with `decide()` at the service's threshold: `modelThreshold` (the curve over the enrolled images, at
 * their measured worth when the model ships an open-set table). As in the service, the identities
 * among a query's nearest images are scored as the model's open-set table was measured: by their
 * centroid (lib/calibration/centroid.ts) or their nearest image (no table: nearest image).
 *   rank1 = closed-set top-1 over queries of enrolled identities, ignoring the threshold;
 *   tar   = share of those queries answered with the correct identity under the threshold;
 *   far   = share of stranger queries answered with any identity;
 *   allRight = the chance that a draw of one query per enrolled identity and one stranger query is
 *            answered entirely right (each query with its identity under the threshold, the stranger
 *            unknown): the product over enrolled identities of their queries' acceptance, times
 *            1 - far. It is the pass rate of a small-gallery check such as issue 5's "5 characters,
 *            an unseen drawing of each, one never-enrolled character" (with `identities: 5`).
 *   auc, eer from the open-set ROC: genuine score = a query's distance to its own identity
 *   (scored as above), impostor score = a stranger's distance to its nearest identity.
 * Figures are means over repeats.
 *
 * No image is dropped: a refused image (null: e.g. no face found) drawn as an enrolment shot is a
 * missing shot; as a query of an enrolled identity it counts as wrong (no top-1, no accept,
 * genuine distance `REFUSED_DISTANCE`); as a stranger's query it counts as rejected (impostor
 * distance `REFUSED_DISTANCE`).
 */
import { InputError } from '@/lib/errors';
import { AnnIndex } from '@/lib/index/ann';
import { euclideanDistance } from '@/lib/index/exact';
import { aucOf, centroidOf, decide, eerOf, groupByIdentity, modelThreshold, openSetThreshold, type CalibrationCurve, type OpenSetTable } from '@/lib/calibration';
import { createUniform, shuffled } from './random';

/** Score of a refused query in the ROC: worse than any real distance (the ROC code takes finite numbers only). */
const REFUSED_DISTANCE = Number.MAX_VALUE;

/** Options of `evaluateIdentify`. */
export interface IdentifyOptions {
  /** K: enrolment images per identity. */
  shots: number;
  /** Number of repeats (default 5). */
  repeats?: number;
  /** Seed of the draws (default 0). */
  seed?: number;
  /** Share of identities held out as strangers (default 1/3). */
  strangerShare?: number;
  /** Enrol only this many of the other identities per repeat (a small gallery; default all of them). */
  identities?: number;
  /** Target open-set FAR of the threshold (default 1e-2). */
  targetOpenSetFar?: number;
  /** The model's calibration curve. */
  curve: CalibrationCurve;
  /** The model's open-set table: with `galleryCount: 'images'`, images count at their measured worth, as the service counts (`modelThreshold`). */
  openSetTable?: OpenSetTable | null;
  /** A fixed decision distance instead of the curve's open-set threshold (e.g. face-api's customary 0.6). */
  fixedThreshold?: number;
  /**
   * N of the open-set conversion: enrolled `images` (default, as the service counts since issue 18)
   * or enrolled `identities` (issue 3's wording, the service before issue 18). A stranger is accepted
   * when ANY enrolled image is within the threshold, so with K > 1 shots the measured FAR follows
   * 1-(1-p)^(N*K), not 1-(1-p)^N.
   */
  galleryCount?: 'identities' | 'images';
  /** Neighbours fetched per query before grouping by identity (default max(10, 3K)). */
  neighbours?: number;
}

/** Means over repeats (counts are per repeat). */
export interface IdentifyResult {
  shots: number;
  rank1: number;
  tar: number;
  far: number;
  /** Chance that one query per enrolled identity and one stranger query are all answered right. */
  allRight: number;
  auc: number;
  eer: number;
  /** Mean decision threshold (it depends only on the gallery size, so it is constant when that is). */
  threshold: number;
  /** Queries of enrolled identities per repeat. */
  queries: number;
  /** Stranger queries per repeat. */
  strangers: number;
  /** Enrolled identities per repeat. */
  enrolledIdentities: number;
}

/** Runs the protocol; `embeddings[i]` are identity i's image embeddings, null where the image was refused. */
export function evaluateIdentify(embeddings: readonly (Float32Array | null)[][], names: readonly string[], opts: IdentifyOptions): IdentifyResult {
  const { shots } = opts;
  const repeats = opts.repeats ?? 5;
  const strangerShare = opts.strangerShare ?? 1 / 3;
  if (!Number.isInteger(shots) || shots < 1) throw new InputError('invalid_config', `shots must be a positive integer, got ${shots}`);
  if (!Number.isInteger(repeats) || repeats < 1) throw new InputError('invalid_config', `repeats must be a positive integer, got ${repeats}`);
  const enrollable = embeddings.filter((e) => e.length > shots).length;
  const nStrangers = Math.round(embeddings.length * strangerShare);
  if (embeddings.length - nStrangers < 2 || nStrangers < 1 || enrollable < 2) {
    throw new InputError('invalid_dataset', `identify needs at least 3 identities, 2 of them with more than ${shots} images; got ${embeddings.length} identities, ${enrollable} with more than ${shots}`);
  }
  const dim = embeddings.flat().find((e) => e !== null)?.length;
  if (dim === undefined) throw new InputError('invalid_dataset', 'identify: every image was refused; nothing to evaluate');
  const rng = createUniform(opts.seed ?? 0);
  const sums = { rank1: 0, tar: 0, far: 0, allRight: 0, auc: 0, eer: 0, threshold: 0, queries: 0, strangers: 0, enrolled: 0 };
  for (let r = 0; r < repeats; r++) {
    const order = shuffled(embeddings.map((_, i) => i), rng);
    const strangers = order.slice(0, nStrangers);
    // An identity with no image beyond its K shots would give no query: it is still enrolled.
    const enrolled = order.slice(nStrangers).filter((i) => embeddings[i].length >= shots).slice(0, opts.identities ?? Infinity);
    const index = AnnIndex.create({ space: 'l2', dim, maxElements: Math.max(1, enrolled.length * shots) });
    const labelOwner: number[] = [];
    const shotsOf = new Map<number, Float32Array[]>();
    const queries: { identity: number; v: Float32Array | null }[] = [];
    for (const i of enrolled) {
      const picked = shuffled(embeddings[i].map((_, j) => j), rng);
      // A refused shot is missing: the identity is enrolled with fewer images (possibly none).
      const gallery = picked.slice(0, shots).flatMap((j) => embeddings[i][j] ?? []);
      shotsOf.set(i, gallery);
      for (const v of gallery) {
        index.add(labelOwner.length, v);
        labelOwner.push(i);
      }
      for (const j of picked.slice(shots)) queries.push({ identity: i, v: embeddings[i][j] });
    }
    // N counts identities with at least one enrolled image, as the service's live identities do.
    const identitiesN = [...shotsOf.values()].filter((g) => g.length > 0).length;
    const far = opts.targetOpenSetFar ?? 1e-2;
    const threshold =
      opts.fixedThreshold ??
      ((opts.galleryCount ?? 'images') === 'images'
        ? modelThreshold(opts.curve, opts.openSetTable ?? null, far, Math.max(1, identitiesN), Math.max(1, index.size), { bound: true }).threshold!
        : openSetThreshold(opts.curve, far, Math.max(1, identitiesN)));
    const k = Math.min(index.size, opts.neighbours ?? Math.max(10, 3 * shots));
    const centroids = opts.openSetTable?.aggregate === 'centroid' ? new Map([...shotsOf].flatMap(([i, g]) => (g.length ? [[i, centroidOf(g)] as const] : []))) : null;
    // Distance of `v` to identity i's enrolled shots, as the identity is scored.
    const scoreOf = (v: Float32Array, i: number) => (centroids ? euclideanDistance('l2', v, centroids.get(i)!) : Math.min(...shotsOf.get(i)!.map((g) => euclideanDistance('l2', v, g))));
    // A refused query gets no neighbours: decided unknown, distance null.
    const answer = (v: Float32Array | null) => {
      if (v === null || k === 0) return decide([], threshold);
      const nearest = groupByIdentity(index.search(v, k).map((h) => ({ identityId: String(labelOwner[h.label]), name: names[labelOwner[h.label]], distance: h.distance })));
      return decide(centroids ? nearest.map((n) => ({ ...n, distance: scoreOf(v, Number(n.identityId)) })) : nearest, threshold);
    };
    let top1 = 0;
    let accepted = 0;
    const perIdentity = new Map<number, { accepted: number; queries: number }>();
    const genuine: number[] = [];
    for (const q of queries) {
      const d = answer(q.v);
      const own = perIdentity.get(q.identity) ?? { accepted: 0, queries: 0 };
      perIdentity.set(q.identity, own);
      own.queries++;
      if (d.neighbours[0]?.identityId === String(q.identity)) top1++;
      if (d.match && d.identityId === String(q.identity)) {
        accepted++;
        own.accepted++;
      }
      const v = q.v;
      const gallery = shotsOf.get(q.identity)!;
      genuine.push(v === null || gallery.length === 0 ? REFUSED_DISTANCE : scoreOf(v, q.identity));
    }
    let falseAccepts = 0;
    const impostor: number[] = [];
    let strangerQueries = 0;
    for (const s of strangers) {
      for (const v of embeddings[s]) {
        const d = answer(v);
        strangerQueries++;
        if (d.match) falseAccepts++;
        impostor.push(d.distance ?? REFUSED_DISTANCE);
      }
    }
    if (queries.length === 0 || strangerQueries === 0) {
      throw new InputError('invalid_dataset', `repeat ${r}: ${queries.length} queries and ${strangerQueries} stranger queries; identities need more than ${shots} images`);
    }
    sums.rank1 += top1 / queries.length;
    sums.tar += accepted / queries.length;
    sums.far += falseAccepts / strangerQueries;
    sums.allRight += [...perIdentity.values()].reduce((p, x) => p * (x.accepted / x.queries), 1 - falseAccepts / strangerQueries);
    sums.auc += aucOf(genuine, impostor);
    sums.eer += eerOf(genuine, impostor);
    sums.threshold += threshold;
    sums.queries += queries.length;
    sums.strangers += strangerQueries;
    sums.enrolled += enrolled.length;
  }
  return {
    shots,
    rank1: sums.rank1 / repeats,
    tar: sums.tar / repeats,
    far: sums.far / repeats,
    allRight: sums.allRight / repeats,
    auc: sums.auc / repeats,
    eer: sums.eer / repeats,
    threshold: sums.threshold / repeats,
    queries: sums.queries / repeats,
    strangers: sums.strangers / repeats,
    enrolledIdentities: sums.enrolled / repeats,
  };
}
