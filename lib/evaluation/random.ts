/** Seeded pseudo-random numbers for reproducible evaluation protocols (mulberry32). */
import { createRng } from '@/lib/calibration/rng';

/** Returns a function giving uniform floats in [0, 1) from a 32-bit seed (the training core's mulberry32). */
export function createUniform(seed: number): () => number {
  const rng = createRng(seed);
  return () => rng.next();
}

/** Fisher-Yates shuffle of a copy of `items`. */
export function shuffled<T>(items: readonly T[], rng: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Standard normal sample (Box-Muller). */
export function gaussian(rng: () => number): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
