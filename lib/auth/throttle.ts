/**
 * Failed sign-in throttling, per client address and over all addresses: after `free` wrong
 * passwords, each further try must wait 1 s, 2 s, 4 s … (at most 15 min) after the last one, and is
 * refused with 429 and `Retry-After` until then. A refusal is answered after holding it up to 1 s,
 * so a flood of refused tries arrives at the pace of its own connections, not as fast as the server
 * can refuse (a 50-connection flood of instant 429s measured 3-4x search p50; issue 16). The state
 * is this process's memory: several instances each count their own failures, and a restart
 * forgets them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { env } from '@/lib/config/env';
import { AppError, assert } from '@/lib/errors';

/** Wait after the first failure past the free ones; each further failure doubles it. */
const BASE_DELAY_MS = 1_000;
/** Longest wait between tries. */
const MAX_DELAY_MS = 15 * 60_000;
/** Failures are forgotten after this long without one (longer than MAX_DELAY_MS, so a patient guesser stays slowed). */
const FORGET_MS = 60 * 60_000;
/** Address buckets kept before forgotten ones (no failure for FORGET_MS) are swept. */
const SWEEP_AT = 10_000;
/** Longest a refusal is held before it is answered. */
const HOLD_MS = 1_000;
/** Refusals held at once; more are answered at once (held requests keep their sockets open). */
const MAX_HELD = 100;

/** Too many wrong passwords: 429, with `Retry-After` from `details.retryAfterSeconds`. */
export class TooManyAttemptsError extends AppError {
  static override readonly kind: string = 'TooManyAttemptsError';

  /** How long to hold the refusal before answering it (already taken off `retryAfterSeconds`). */
  readonly holdMs: number;

  constructor(waitMs: number, scope: 'address' | 'all') {
    const holdMs = Math.min(HOLD_MS, waitMs);
    const retryAfterSeconds = Math.max(1, Math.ceil((waitMs - holdMs) / 1000));
    const who = scope === 'address' ? 'from this address' : 'from all addresses together';
    super('too_many_attempts', `too many wrong passwords ${who}; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
    this.holdMs = holdMs;
  }
}

/** How many wrong passwords are free before the delays start. */
export interface ThrottleLimits {
  perAddress: number;
  total: number;
}

/** What a wrong password led to (for the audit entry and the log line). */
export interface FailureRecord {
  /** Wrong passwords from this address not yet forgotten, this one included. */
  addressFailures: number;
  /** Wrong passwords from all addresses not yet forgotten, this one included. */
  totalFailures: number;
  /** Seconds the next try from this address must wait (0 while failures are free). */
  addressWaitSeconds: number;
}

/** A reserved try: settle it with the password check's outcome. */
export interface LoginAttempt {
  /** Right password: the address starts afresh and this try no longer counts overall. */
  succeed(): void;
  /** Wrong password: the failure stays counted. */
  fail(): FailureRecord;
}

interface Bucket {
  failures: number;
  lastMs: number;
}

function waitMs(bucket: Bucket, free: number): number {
  if (bucket.failures < free) return 0;
  return Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (bucket.failures - free));
}

/** Sign-in throttle state of one process. */
export class LoginThrottle {
  private readonly byAddress = new Map<string, Bucket>();
  private readonly total: Bucket = { failures: 0, lastMs: 0 };
  private held = 0;

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Reserves a try for `address` now, counted as a failure until settled, so concurrent tries cannot
   * all pass the check before the first one fails. Throws `too_many_attempts` while either the
   * address or all addresses together must wait.
   */
  begin(address: string): LoginAttempt {
    const now = this.now();
    const own = this.byAddress.get(address) ?? { failures: 0, lastMs: now };
    this.forgetStale(own, now);
    this.forgetStale(this.total, now);
    const ownLeft = own.lastMs + waitMs(own, this.limits.perAddress) - now;
    const totalLeft = this.total.lastMs + waitMs(this.total, this.limits.total) - now;
    if (ownLeft > 0 || totalLeft > 0) {
      throw new TooManyAttemptsError(Math.max(ownLeft, totalLeft), ownLeft >= totalLeft ? 'address' : 'all');
    }
    // Only addresses that get a password check are stored, at the pace the total throttle allows.
    if (!this.byAddress.has(address)) this.store(address, own, now);
    for (const b of [own, this.total]) {
      b.failures++;
      b.lastMs = now;
    }
    let settled = false;
    const settle = (): void => {
      assert(!settled, 'a sign-in attempt was settled twice');
      settled = true;
    };
    return {
      succeed: () => {
        settle();
        this.byAddress.delete(address);
        this.total.failures = Math.max(0, this.total.failures - 1);
      },
      fail: () => {
        settle();
        // Waits run from the failure, not from the start of its (slow) password check.
        const failedMs = this.now();
        own.lastMs = Math.max(own.lastMs, failedMs);
        this.total.lastMs = Math.max(this.total.lastMs, failedMs);
        return {
          addressFailures: own.failures,
          totalFailures: this.total.failures,
          addressWaitSeconds: Math.ceil(waitMs(own, this.limits.perAddress) / 1000),
        };
      },
    };
  }

  /** `begin`, but a refusal is held `holdMs` (while fewer than MAX_HELD are) before it is thrown. */
  async admit(address: string): Promise<LoginAttempt> {
    try {
      return this.begin(address);
    } catch (err) {
      if (err instanceof TooManyAttemptsError && this.held < MAX_HELD) {
        this.held++;
        await sleep(err.holdMs).finally(() => this.held--);
      }
      throw err;
    }
  }

  private store(address: string, bucket: Bucket, now: number): void {
    if (this.byAddress.size >= SWEEP_AT) {
      for (const [key, b] of this.byAddress) if (now - b.lastMs > FORGET_MS) this.byAddress.delete(key);
    }
    this.byAddress.set(address, bucket);
  }

  private forgetStale(b: Bucket, now: number): void {
    if (now - b.lastMs > FORGET_MS) b.failures = 0;
  }
}

const SHARED = Symbol.for('fewshot.loginThrottle');

/**
 * The process's throttle (LOGIN_FAILURES_PER_ADDRESS, LOGIN_FAILURES_TOTAL), kept on `globalThis`
 * so every module copy of this file (Next bundles routes apart from the server) shares one state.
 */
export function loginThrottle(): LoginThrottle {
  const g = globalThis as { [SHARED]?: LoginThrottle };
  return (g[SHARED] ??= new LoginThrottle({ perAddress: env.LOGIN_FAILURES_PER_ADDRESS, total: env.LOGIN_FAILURES_TOTAL }));
}
