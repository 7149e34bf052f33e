// The failed sign-in throttle on a fake clock (the only thing faked): free failures, then doubling
// waits answered with too_many_attempts and retryAfterSeconds, per address and over all addresses.
import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '@/lib/auth/throttle';
import { AppError } from '@/lib/errors';

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** The `retryAfterSeconds` a refused `begin` carries, or null when the try was let through (and then failed). */
function tryFail(throttle: LoginThrottle, address: string): number | null {
  try {
    throttle.begin(address).fail();
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('too_many_attempts');
    return (err as AppError).details!.retryAfterSeconds as number;
  }
}

describe('LoginThrottle', () => {
  // retryAfterSeconds is the wait less the refusal's hold (up to 1 s), at least 1.
  it('lets `perAddress` failures through, then makes each further try wait 1 s, 2 s, 4 s after the last failure', () => {
    const c = clock();
    const t = new LoginThrottle({ perAddress: 3, total: 1000 }, c.now);
    expect([tryFail(t, 'a'), tryFail(t, 'a'), tryFail(t, 'a')]).toEqual([null, null, null]);
    const waits: (number | null)[] = [];
    for (const ms of [1000, 2000, 4000]) {
      waits.push(tryFail(t, 'a'));
      c.advance(ms - 1);
      waits.push(tryFail(t, 'a'));
      c.advance(1);
      waits.push(tryFail(t, 'a'));
    }
    expect(waits).toEqual([1, 1, null, 1, 1, null, 3, 1, null]);
    expect(tryFail(t, 'b')).toBeNull();
  });

  it('caps the wait at 15 minutes', () => {
    const c = clock();
    const t = new LoginThrottle({ perAddress: 1, total: 1000 }, c.now);
    for (let i = 0; i < 20; i++) {
      tryFail(t, 'a');
      c.advance(15 * 60_000);
    }
    c.advance(-1);
    expect(tryFail(t, 'a')).toBe(1);
    c.advance(-15 * 60_000 + 2);
    expect(tryFail(t, 'a')).toBe(15 * 60 - 1);
  });

  it('counts tries in flight, so concurrent ones cannot all pass the check', () => {
    const t = new LoginThrottle({ perAddress: 3, total: 1000 }, clock().now);
    const inFlight = [t.begin('a'), t.begin('a'), t.begin('a')];
    expect(() => t.begin('a')).toThrow(/too many wrong passwords from this address; retry in 1 s/);
    inFlight[0].succeed();
    expect(() => t.begin('a')).not.toThrow();
  });

  it('starts an address afresh after a right password', () => {
    const t = new LoginThrottle({ perAddress: 3, total: 1000 }, clock().now);
    tryFail(t, 'a');
    tryFail(t, 'a');
    t.begin('a').succeed();
    expect([tryFail(t, 'a'), tryFail(t, 'a'), tryFail(t, 'a'), tryFail(t, 'a')]).toEqual([null, null, null, 1]);
  });

  it('throttles every address once all of them together failed `total` times', () => {
    const c = clock();
    const t = new LoginThrottle({ perAddress: 100, total: 4 }, c.now);
    expect(['a', 'b', 'c', 'd'].map((a) => tryFail(t, a))).toEqual([null, null, null, null]);
    expect(() => t.begin('e')).toThrow(/from all addresses together; retry in 1 s/);
    c.advance(1000);
    expect(tryFail(t, 'e')).toBeNull();
    expect(tryFail(t, 'f')).toBe(1);
    c.advance(1000);
    expect(tryFail(t, 'f')).toBe(1);
    c.advance(1000);
    expect(tryFail(t, 'f')).toBeNull();
  });

  it('reports each failure with its counts and the wait it started', () => {
    const t = new LoginThrottle({ perAddress: 2, total: 1000 }, clock().now);
    expect(t.begin('a').fail()).toEqual({ addressFailures: 1, totalFailures: 1, addressWaitSeconds: 0 });
    expect(t.begin('b').fail()).toEqual({ addressFailures: 1, totalFailures: 2, addressWaitSeconds: 0 });
    expect(t.begin('a').fail()).toEqual({ addressFailures: 2, totalFailures: 3, addressWaitSeconds: 1 });
  });

  it('forgets failures after an hour without one', () => {
    const c = clock();
    const t = new LoginThrottle({ perAddress: 2, total: 1000 }, c.now);
    tryFail(t, 'a');
    tryFail(t, 'a');
    c.advance(60 * 60_000 + 1);
    expect(t.begin('a').fail()).toEqual({ addressFailures: 1, totalFailures: 1, addressWaitSeconds: 0 });
  });

  it('admit holds a refusal for the part of the wait it takes off Retry-After', async () => {
    const t = new LoginThrottle({ perAddress: 1, total: 1000 }, clock().now);
    tryFail(t, 'a');
    const refused = await t.admit('a').then(() => null, (err: unknown) => err as { holdMs: number; details: { retryAfterSeconds: number } });
    expect(refused).toMatchObject({ holdMs: 1000, details: { retryAfterSeconds: 1 } });
  });

  it('refuses to settle a try twice', () => {
    const attempt = new LoginThrottle({ perAddress: 2, total: 10 }, clock().now).begin('a');
    attempt.fail();
    expect(() => attempt.succeed()).toThrow(/settled twice/);
  });
});
