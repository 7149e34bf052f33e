/**
 * Seeded pseudo-random numbers: mulberry32 (Tommy Ettinger, public domain), a 32-bit state that
 * can be saved in a checkpoint and restored, so a resumed run draws the same numbers.
 */

/** A seeded generator whose whole state is one 32-bit integer. */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[];
  /** The current state, for checkpoints. */
  getState(): number;
  /** Restores a state returned by `getState`. */
  setState(state: number): void;
}

/** Creates a mulberry32 generator from an integer seed. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
      }
      return items;
    },
    getState: () => a,
    setState: (state) => {
      a = state >>> 0;
    },
  };
}
