/** Confidence intervals of measured rates. */
import { assert } from '@/lib/errors';

/** A measured rate with its 95% interval and the trials behind it. */
export interface RateInterval {
  /** successes / trials. */
  rate: number;
  /** Lower end of the 95% Wilson score interval. */
  low: number;
  /** Upper end of the 95% Wilson score interval. */
  high: number;
  /** Trials behind the rate. */
  trials: number;
}

/**
 * Wilson score interval (Wilson 1927) of `successes` in `trials`, z = 1.96 for 95%:
 * centre (p + z^2/2n) / (1 + z^2/n), half-width z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n).
 * It assumes independent trials; pairs sharing an image are not, so read it as a lower bound on the uncertainty.
 */
export function wilsonInterval(successes: number, trials: number, z = 1.96): RateInterval {
  assert(Number.isInteger(successes) && Number.isInteger(trials) && trials > 0 && successes >= 0 && successes <= trials, `need 0 <= successes <= trials, trials > 0; got ${successes}/${trials}`);
  const p = successes / trials;
  const z2n = (z * z) / trials;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt(p * (1 - p) / trials + z2n / (4 * trials))) / (1 + z2n);
  return { rate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half), trials };
}
