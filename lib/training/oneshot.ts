/**
 * N-way K-shot accuracy on embeddings of held-out identities, used as the per-epoch validation
 * metric: each trial draws N identities (within one group, e.g. one alphabet, as in Lake et al.
 * 2015's within-alphabet protocol, when `withinGroup`), K support images each and one query of one
 * of them; the query is answered with the identity whose nearest support image is closest.
 */
import { InputError } from '@/lib/errors';
import { squaredDistance } from '@/lib/calibration/vectors';
import type { Rng } from '@/lib/calibration/rng';

/** Options of `oneShotAccuracy`. */
export interface OneShotOptions {
  /** N: identities per trial. */
  ways: number;
  /** K: support images per identity. */
  shots: number;
  /** Number of trials. */
  trials: number;
  /** Draw the N identities of a trial from one group only (groups with fewer than N are skipped). */
  withinGroup: boolean;
}

/**
 * Share of trials answered correctly. `embeddings[i]`: the embeddings of identity i's images;
 * `groups[i]`: its group. Identities need at least `shots + 1` images.
 */
export function oneShotAccuracy(embeddings: readonly Float32Array[][], groups: readonly string[], opts: OneShotOptions, rng: Rng): number {
  const eligible = embeddings.flatMap((e, i) => (e.length >= opts.shots + 1 ? [i] : []));
  const pools: number[][] = [];
  if (opts.withinGroup) {
    const byGroup = new Map<string, number[]>();
    for (const i of eligible) byGroup.set(groups[i], [...(byGroup.get(groups[i]) ?? []), i]);
    for (const ids of byGroup.values()) if (ids.length >= opts.ways) pools.push(ids);
  } else if (eligible.length >= opts.ways) {
    pools.push(eligible);
  }
  if (pools.length === 0) {
    throw new InputError('invalid_dataset', `${opts.ways}-way trials need a ${opts.withinGroup ? 'group' : 'set'} with ${opts.ways}+ identities of ${opts.shots + 1}+ images`);
  }
  let correct = 0;
  for (let t = 0; t < opts.trials; t++) {
    const pool = pools[t % pools.length];
    const ids = rng.shuffle([...pool]).slice(0, opts.ways);
    const answer = rng.int(opts.ways);
    let queryEmbedding: Float32Array | null = null;
    const supports: Float32Array[][] = ids.map((id, w) => {
      const order = rng.shuffle([...embeddings[id].keys()]);
      if (w === answer) queryEmbedding = embeddings[id][order[opts.shots]];
      return order.slice(0, opts.shots).map((k) => embeddings[id][k]);
    });
    let best = -1;
    let bestD = Infinity;
    supports.forEach((s, w) => {
      for (const e of s) {
        const d = squaredDistance(queryEmbedding!, e);
        if (d < bestD) {
          bestD = d;
          best = w;
        }
      }
    });
    if (best === answer) correct++;
  }
  return correct / opts.trials;
}
