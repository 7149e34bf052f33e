/** A binomial proportion with its 95% Wilson score interval. */
import { assert } from '@/lib/errors';

/** `successes / trials` and its 95% interval. */
export interface Proportion {
  /** Successes. */
  successes: number;
  /** Trials. */
  trials: number;
  /** successes / trials (0 when there are no trials). */
  rate: number;
  /** 95% Wilson interval [low, high]. */
  interval: [number, number];
}

/**
 * Wilson score interval (z = 1.96): with p = k/n,
 *   centre = (p + z²/2n) / (1 + z²/n),  half = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n).
 * Unlike p ± z·sqrt(p(1-p)/n) it stays inside [0, 1] and is not empty at k = 0 or k = n.
 */
export function proportion(successes: number, trials: number): Proportion {
  assert(Number.isInteger(successes) && Number.isInteger(trials) && successes >= 0 && successes <= trials, `expected 0 <= successes <= trials (integers), got ${successes}/${trials}`);
  if (trials === 0) return { successes, trials, rate: 0, interval: [0, 1] };
  const z = 1.96;
  const p = successes / trials;
  const denom = 1 + (z * z) / trials;
  const centre = (p + (z * z) / (2 * trials)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials))) / denom;
  return { successes, trials, rate: p, interval: [Math.max(0, centre - half), Math.min(1, centre + half)] };
}
