/** Vector maths shared by the decision code, training and evaluation. */

/** Squared Euclidean distance of two equal-length vectors. */
export function squaredDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const t = a[k] - b[k];
    s += t * t;
  }
  return s;
}

/** The vectors of `rows` grouped by identity, identities in order of first appearance. */
export function vectorsByIdentity(rows: readonly { identity: string; vector: Float32Array }[]): Float32Array[][] {
  const groups = new Map<string, Float32Array[]>();
  for (const r of rows) {
    const own = groups.get(r.identity);
    if (own) own.push(r.vector);
    else groups.set(r.identity, [r.vector]);
  }
  return [...groups.values()];
}

/**
 * Genuine and impostor distances of images grouped by identity (`byIdentity[i]` = identity i's
 * vectors): genuine = every pair of images of one identity; impostor = every pair of images of
 * different identities, all of them (sum over identities i < j of n_i n_j = (n(n-1) - sum_i n_i(n_i-1)) / 2)
 * unless `sample` is given and they number more than `sample.max`: then `sample.max` distinct pairs
 * drawn with `sample.uniform` (floats in [0, 1)).
 */
export function pairDistances(byIdentity: readonly (readonly Float32Array[])[], sample?: { max: number; uniform: () => number }): { genuine: number[]; impostor: number[] } {
  const flat = byIdentity.flatMap((vs, id) => vs.map((v) => ({ v, id })));
  const n = flat.length;
  const distance = (i: number, j: number): number => Math.sqrt(squaredDistance(flat[i].v, flat[j].v));
  const genuine: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n && flat[j].id === flat[i].id; j++) genuine.push(distance(i, j));
  const sameCount = byIdentity.reduce((s, vs) => s + (vs.length * (vs.length - 1)) / 2, 0);
  const allImpostor = (n * (n - 1)) / 2 - sameCount;
  const impostor: number[] = [];
  if (!sample || allImpostor <= sample.max) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (flat[i].id !== flat[j].id) impostor.push(distance(i, j));
    return { genuine, impostor };
  }
  const seen = new Set<number>();
  while (impostor.length < sample.max) {
    const a = Math.floor(sample.uniform() * n);
    const b = Math.floor(sample.uniform() * n);
    if (flat[a].id === flat[b].id) continue;
    const [i, j] = a < b ? [a, b] : [b, a];
    if (seen.has(i * n + j)) continue;
    seen.add(i * n + j);
    impostor.push(distance(i, j));
  }
  return { genuine, impostor };
}
