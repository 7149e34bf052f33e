/** Intervals of binomial rates: Wilson's, and the percentile interval of bootstrap draws. */
import { assert } from '@/lib/errors';

/** z of a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/** A measured rate k/n with its Wilson 95% interval. */
export interface IntervalRate {
  /** Events. */
  k: number;
  /** Trials. */
  n: number;
  /** k / n (0 when n = 0). */
  value: number;
  /** Lower end of the 95% interval. */
  lo: number;
  /** Upper end of the 95% interval. */
  hi: number;
}

/**
 * k/n with the Wilson score interval (Wilson 1927), which stays inside [0, 1] and is not empty at
 * k = 0 (where the normal interval is): with p = k/n and z = 1.96,
 *   centre = (p + z²/2n) / (1 + z²/n),  half = z / (1 + z²/n) · sqrt(p(1-p)/n + z²/4n²).
 * With n = 0 nothing is known: value 0, interval [0, 1]. It assumes independent trials; pairs
 * sharing an image are not, so read it as a lower bound on the uncertainty there.
 */
export function wilsonRate(k: number, n: number, z = Z95): IntervalRate {
  assert(Number.isInteger(k) && Number.isInteger(n) && k >= 0 && k <= n, `expected 0 <= k <= n (integers), got ${k}/${n}`);
  if (n === 0) return { k, n, value: 0, lo: 0, hi: 1 };
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { k, n, value: p, lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/** The 95% percentile interval of bootstrap draws, `sorted` ascending: the 2.5th and 97.5th percentiles (floor and ceiling of p · (B − 1)). */
export function percentileInterval(sorted: ArrayLike<number>): { lo: number; hi: number } {
  assert(sorted.length > 0, 'a percentile interval needs at least one draw');
  const last = sorted.length - 1;
  return { lo: sorted[Math.floor(0.025 * last)], hi: sorted[Math.ceil(0.975 * last)] };
}
