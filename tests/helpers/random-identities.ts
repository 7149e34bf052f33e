import { createRng, type TableIdentity } from '@/lib/calibration';

/** `n` identities of `k` random unit vectors in `dim` dimensions (seeded); `copies`: an identity's images are one vector repeated. */
export function randomIdentities(n: number, k: number, dim: number, copies: boolean, seed: number): TableIdentity[] {
  const rng = createRng(seed);
  const unit = () => {
    const v = Float32Array.from({ length: dim }, () => rng.uniform(-1, 1));
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  };
  return Array.from({ length: n }, (_, i) => {
    const first = unit();
    return { name: `id${i}`, vectors: Array.from({ length: k }, (_, j) => (copies || j === 0 ? first : unit())) };
  });
}
