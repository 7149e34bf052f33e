// The hashing thread against Node's own scryptSync (the oracle): same keys for concurrent calls,
// each answered with its own key, and a refused parameter set is a typed error, not a hang.
import { scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scryptOnThread } from '@/lib/auth/scrypt-thread';

const PARAMS = { N: 2 ** 10, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

describe('scryptOnThread', () => {
  it('matches scryptSync for concurrent calls, each getting its own key', async () => {
    const inputs = ['alpha', 'beta', 'gamma', 'delta'].map((password, i) => ({ password, salt: Buffer.from(`salt-${i}`) }));
    const keys = await Promise.all(inputs.map(({ password, salt }) => scryptOnThread(password, salt, 32, PARAMS)));
    expect(keys.map((k) => k.toString('hex'))).toEqual(inputs.map(({ password, salt }) => scryptSync(password, salt, 32, PARAMS).toString('hex')));
  });

  it('rejects parameters scrypt refuses with hash_failed', async () => {
    await expect(scryptOnThread('x', Buffer.from('salt'), 32, { ...PARAMS, maxmem: 1024 })).rejects.toMatchObject({ code: 'hash_failed', message: expect.stringMatching(/^password hashing failed: .*memory/i) });
    // The thread survives a refused job.
    expect((await scryptOnThread('x', Buffer.from('salt'), 32, PARAMS)).toString('hex')).toBe(scryptSync('x', Buffer.from('salt'), 32, PARAMS).toString('hex'));
  });
});
