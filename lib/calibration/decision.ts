/**
 * The match / unknown decision over example-level nearest neighbours (pure: no db, no ML).
 * Same convention as calibration's curve (far[i] counts distances <= distances[i]):
 * a query MATCHES its nearest identity when bestDistance <= threshold (equality matches).
 */

/** One example-level neighbour: an enrolled image's identity and its Euclidean distance. */
export interface Neighbour {
  /** Identity id. */
  identityId: string;
  /** Identity display name. */
  name: string;
  /** Euclidean distance between L2-normalised embeddings (smaller = closer). */
  distance: number;
}

/** Outcome of `decide`. */
export interface Decision {
  /** True when the nearest identity is within the threshold. */
  match: boolean;
  /** The matched identity, or null when unknown. */
  identityId: string | null;
  /** The matched identity's name, or null when unknown. */
  name: string | null;
  /** Best distance to any identity (also when unknown); null when there were no neighbours. */
  distance: number | null;
  /** The threshold the decision used. */
  threshold: number;
  /** One entry per identity with its best (smallest) distance, ascending. */
  neighbours: Neighbour[];
}

/** Groups neighbours by identity (best distance), ascending; ties keep identityId order. */
export function groupByIdentity(neighbours: readonly Neighbour[]): Neighbour[] {
  const best = new Map<string, Neighbour>();
  for (const n of neighbours) {
    const seen = best.get(n.identityId);
    if (!seen || n.distance < seen.distance) best.set(n.identityId, { identityId: n.identityId, name: n.name, distance: n.distance });
  }
  return [...best.values()].sort((a, b) => a.distance - b.distance || (a.identityId < b.identityId ? -1 : a.identityId > b.identityId ? 1 : 0));
}

/**
 * Decides match (best distance <= threshold) or unknown; an empty neighbour list is unknown with
 * distance null.
 */
export function decide(neighbours: readonly Neighbour[], threshold: number): Decision {
  const grouped = groupByIdentity(neighbours);
  const top = grouped[0];
  if (!top) return { match: false, identityId: null, name: null, distance: null, threshold, neighbours: [] };
  const match = top.distance <= threshold;
  return {
    match,
    identityId: match ? top.identityId : null,
    name: match ? top.name : null,
    distance: top.distance,
    threshold,
    neighbours: grouped,
  };
}
