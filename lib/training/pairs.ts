/**
 * Sampling for metric learning: balanced pairs (contrastive loss), class-balanced P x K batches
 * (triplet losses) and hard negatives mined from the current model's embeddings.
 * Identities are referred to by index into the data set; images by index into that identity.
 * Pair labels follow `same: boolean` (true = both sides show the same identity).
 */
import { InputError, assert } from '@/lib/errors';
import type { Rng } from '@/lib/calibration/rng';
import { squaredDistance } from '@/lib/calibration/vectors';

/** One image of the data set: identity index and image index within that identity. */
export interface ImageRef {
  /** Index into `Dataset.identities`. */
  identity: number;
  /** Index into that identity's `images`. */
  image: number;
}

/** One sampled pair. */
export interface SampledPair {
  /** First side. */
  a: ImageRef;
  /** Second side. */
  b: ImageRef;
  /** True when both sides show the same identity. */
  same: boolean;
}

/** One P x K batch: `refs[i]` is an image, `identities[i]` its identity index (P identities, K each). */
export interface PkBatch {
  /** Images, grouped by identity (K consecutive entries per identity). */
  refs: ImageRef[];
  /** Identity index of each entry of `refs`. */
  identities: number[];
}

/** Picks `k` distinct indices in [0, n) (with replacement only when n < k). */
function pickImages(rng: Rng, n: number, k: number): number[] {
  if (n >= k) return rng.shuffle([...Array(n).keys()]).slice(0, k);
  return Array.from({ length: k }, (_, i) => (i < n ? i : rng.int(n)));
}

/** An endless, evenly cycling stream of identity indices (each full pass reshuffled). */
function cycle(rng: Rng, ids: readonly number[]): () => number {
  let order: number[] = [];
  return () => {
    if (order.length === 0) order = rng.shuffle([...ids]);
    return order.pop()!;
  };
}

/**
 * Balanced pairs: exactly `count / 2` with same = true and `count / 2` with same = false. The
 * first side's identity cycles through all identities (reshuffled every pass) in each half, so
 * every identity anchors the same number of pairs, +-1. `imageCounts[i]`: images of identity i.
 */
export function sampleBalancedPairs(rng: Rng, imageCounts: readonly number[], count: number): SampledPair[] {
  if (count % 2 !== 0) throw new InputError('invalid_config', `pair count must be even for a 50/50 balance, got ${count}`);
  const withPairs = imageCounts.flatMap((n, i) => (n >= 2 ? [i] : []));
  if (withPairs.length === 0 || imageCounts.length < 2) {
    throw new InputError('invalid_dataset', 'balanced pairs need at least 2 identities and one identity with 2+ images');
  }
  const pairs: SampledPair[] = [];
  const nextPos = cycle(rng, withPairs);
  for (let i = 0; i < count / 2; i++) {
    const id = nextPos();
    const [x, y] = pickImages(rng, imageCounts[id], 2);
    pairs.push({ a: { identity: id, image: x }, b: { identity: id, image: y }, same: true });
  }
  const nextNeg = cycle(rng, imageCounts.map((_, i) => i));
  for (let i = 0; i < count / 2; i++) {
    const id = nextNeg();
    let other = rng.int(imageCounts.length - 1);
    if (other >= id) other += 1;
    pairs.push({
      a: { identity: id, image: rng.int(imageCounts[id]) },
      b: { identity: other, image: rng.int(imageCounts[other]) },
      same: false,
    });
  }
  return rng.shuffle(pairs);
}

/** K images of each chosen identity, in order: one P x K batch. */
function pkBatch(rng: Rng, imageCounts: readonly number[], chosen: Iterable<number>, K: number): PkBatch {
  const batch: PkBatch = { refs: [], identities: [] };
  for (const id of chosen) {
    for (const image of pickImages(rng, imageCounts[id], K)) {
      batch.refs.push({ identity: id, image });
      batch.identities.push(id);
    }
  }
  return batch;
}

/**
 * One epoch of class-balanced P x K batches: every identity is drawn once per epoch as a seed
 * (shuffled order), K images each (distinct when it has K). With `neighbours` (each identity's
 * other identities, nearest first, mined from the current model) a share `hardShare` of each
 * batch's P slots goes to the nearest unused neighbour of a seed, so confusable identities meet
 * in one batch and the batch-hard loss sees hard negatives. The last batch is topped up with
 * random identities so every batch holds exactly P distinct identities.
 */
export function samplePkEpoch(
  rng: Rng,
  imageCounts: readonly number[],
  P: number,
  K: number,
  neighbours: readonly (readonly number[])[] | null = null,
  hardShare = 0,
): PkBatch[] {
  const n = imageCounts.length;
  if (P < 2 || P > n) throw new InputError('invalid_config', `P (identities per batch) must be in [2, ${n}], got ${P}`);
  if (K < 2) throw new InputError('invalid_config', `K (images per identity) must be >= 2 for positives, got ${K}`);
  const order = rng.shuffle([...Array(n).keys()]);
  const hardPerBatch = neighbours ? Math.floor((P * Math.min(Math.max(hardShare, 0), 0.5))) : 0;
  const batches: PkBatch[] = [];
  let cursor = 0;
  while (cursor < n) {
    const chosen = new Set<number>();
    const seeds: number[] = [];
    while (chosen.size < P - hardPerBatch && cursor < n) {
      const id = order[cursor++];
      if (chosen.has(id)) continue;
      chosen.add(id);
      seeds.push(id);
    }
    for (let s = 0; s < seeds.length && chosen.size < P && s < hardPerBatch; s++) {
      const near = neighbours![seeds[s]].find((j) => !chosen.has(j));
      if (near !== undefined) chosen.add(near);
    }
    while (chosen.size < P) chosen.add(rng.int(n));
    batches.push(pkBatch(rng, imageCounts, chosen, K));
  }
  return batches;
}

/**
 * For each row of `embeddings`, the index of the nearest row of another identity (Euclidean):
 * the hard negative of that image under the current model. `identityOf[i]`: identity of row i.
 */
export function mineHardNegatives(embeddings: readonly Float32Array[], identityOf: readonly number[]): number[] {
  assert(embeddings.length === identityOf.length, `mineHardNegatives: ${embeddings.length} embeddings vs ${identityOf.length} identities`);
  return embeddings.map((x, i) => {
    let best = -1;
    let bestD = Infinity;
    for (let j = 0; j < embeddings.length; j++) {
      if (identityOf[j] === identityOf[i]) continue;
      const d = squaredDistance(x, embeddings[j]);
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    if (best < 0) throw new InputError('invalid_dataset', 'hard-negative mining needs at least 2 identities in the pool');
    return best;
  });
}

/**
 * Nearest other identities of each identity by centroid distance (nearest first, `limit` each):
 * mined from the current model, feeds `samplePkEpoch`'s hard batches. `centroids[i]`: identity i.
 */
export function nearestIdentities(centroids: readonly Float32Array[], limit: number): number[][] {
  return centroids.map((c, i) => {
    const scored: [number, number][] = [];
    for (let j = 0; j < centroids.length; j++) if (j !== i) scored.push([squaredDistance(c, centroids[j]), j]);
    scored.sort((x, y) => x[0] - y[0]);
    return scored.slice(0, limit).map(([, j]) => j);
  });
}

/**
 * One epoch of group-aware P x K batches: each batch draws its P identities from `groupsPerBatch`
 * groups (e.g. Omniglot alphabets), P / groupsPerBatch from each, so most negatives share the
 * anchor's group — the within-alphabet confusions the one-shot protocol tests. Groups and the
 * identities inside each group are visited in reshuffled cycles, so identities appear evenly. A
 * group smaller than P / groupsPerBatch gives all its identities and the next group fills the rest
 * (small alphabets train too, in batches of more groups). `groupOf[i]`: group index of identity i.
 * Returns ceil(identities / P) batches.
 */
export function sampleGroupedPkEpoch(rng: Rng, imageCounts: readonly number[], groupOf: readonly number[], P: number, K: number, groupsPerBatch: number): PkBatch[] {
  const members = new Map<number, number[]>();
  groupOf.forEach((g, i) => {
    const inGroup = members.get(g) ?? [];
    inGroup.push(i);
    members.set(g, inGroup);
  });
  const perGroup = Math.floor(P / groupsPerBatch);
  const groups = [...members.keys()];
  if (groups.length < groupsPerBatch || perGroup < 1 || P > groupOf.length) {
    throw new InputError('invalid_config', `grouped batches of ${P} identities need ${groupsPerBatch}+ groups and ${P}+ identities; found ${groups.length} groups, ${groupOf.length} identities`);
  }
  const nextGroup = cycle(rng, groups);
  const cursors = new Map(groups.map((g) => [g, cycle(rng, members.get(g)!)]));
  const batches: PkBatch[] = [];
  for (let b = 0; b < Math.ceil(imageCounts.length / P); b++) {
    const chosen = new Set<number>();
    const used = new Set<number>();
    while (chosen.size < P) {
      const g = nextGroup();
      if (used.has(g)) continue;
      used.add(g);
      const next = cursors.get(g)!;
      const take = Math.min(perGroup, members.get(g)!.length, P - chosen.size);
      const inGroup = new Set<number>();
      while (inGroup.size < take) inGroup.add(next());
      for (const id of inGroup) chosen.add(id);
    }
    batches.push(pkBatch(rng, imageCounts, chosen, K));
  }
  return batches;
}
