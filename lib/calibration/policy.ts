/**
 * The seam between an open-set decision method and what measures it (issue 18): a policy is fitted
 * to one gallery at a target open-set FAR and then scores queries against it. `npm run evaluate --
 * openset` runs every policy on the same draws; the service serves one. Pure: vectors in, numbers
 * out (no database, no ML).
 *
 * Scores are distance-like: lower means more alike, and a query matches its best identity when
 * that identity's score is at or under `threshold` (the same convention as `decide`).
 */

/** One enrolled image: its identity and its L2-normalised embedding. */
export interface GalleryEntry {
  /** Identity key. */
  identity: string;
  /** L2-normalised embedding. */
  vector: Float32Array;
}

/** How sure a fitted threshold is: the stranger trials behind it. */
export interface ThresholdEvidence {
  /** Where the threshold came from, e.g. `model-curve`, `cohort`, `gallery`. */
  source: string;
  /** Stranger (impostor) trials the threshold was read from; 0 when it came from a stored curve. */
  trials: number;
  /** Predicted open-set FAR at the threshold, with a 95% interval when it was measured on trials. */
  predictedFar: { value: number; lo: number | null; hi: number | null };
}

/** A policy fitted to one gallery. */
export interface FittedPolicy {
  /** Best score per identity for `query`, ascending (ties by identity key). */
  score(query: Float32Array): { identity: string; score: number }[];
  /** Match when the best identity's score <= threshold. */
  threshold: number;
  /** The trials behind the threshold. */
  evidence: ThresholdEvidence;
}

/** An open-set decision method. */
export interface OpenSetPolicy {
  /** Name in reports, e.g. `model-curve-identities`. */
  name: string;
  /**
   * Identity keys, or group prefixes (`Bengali` covers `Bengali/character01`), that the policy's
   * threshold or cohort was drawn from: an evaluation keeps them out of gallery and strangers.
   */
  reservedIdentities?: readonly string[];
  /** Fits the policy to a gallery (at least one entry) at a target open-set FAR in (0, 1). */
  fit(gallery: readonly GalleryEntry[], targetFar: number): FittedPolicy;
}

/** Best score per identity of `gallery` under `scoreOf(image index)`, ascending (ties by identity key): what every policy's `score` returns. */
export function bestPerIdentity(gallery: readonly GalleryEntry[], scoreOf: (i: number) => number): { identity: string; score: number }[] {
  const best = new Map<string, number>();
  gallery.forEach((g, i) => {
    const s = scoreOf(i);
    const old = best.get(g.identity);
    if (old === undefined || s < old) best.set(g.identity, s);
  });
  return [...best].map(([identity, score]) => ({ identity, score })).sort((a, b) => a.score - b.score || (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0));
}
