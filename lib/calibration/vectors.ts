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
