// Kernel tests compare a backend's kernels with the cpu backend's (the reference; cpu runs nothing else).
import type { Tensor, Tf } from '@/lib/embedder/backend';

/** Runs `fn` on `backend` and returns its outputs' shapes and values, then switches back to `home`. */
export async function runOnBackend(tf: Tf, backend: string, home: string, fn: () => Tensor[]): Promise<{ shape: number[]; values: Float32Array | Int32Array }[]> {
  await tf.setBackend(backend);
  try {
    const outs = tf.tidy(fn);
    const result = outs.map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array | Int32Array }));
    tf.dispose(outs);
    return result;
  } finally {
    await tf.setBackend(home);
  }
}

/** Max |got - want| relative to max |want| (float32 sums in another order differ by rounding). */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < want.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    maxRef = Math.max(maxRef, Math.abs(want[i]));
  }
  return maxDiff / Math.max(maxRef, 1e-12);
}
