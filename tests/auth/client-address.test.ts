// The client address and protocol `npm start` hands the route handlers: the socket's unless
// TRUST_PROXY_HOPS trusts that many proxies' X-Forwarded-For / X-Forwarded-Proto.
import { describe, expect, it } from 'vitest';
import { requestAddress, resolveClient, type ClientSources } from '@/lib/auth/client-address';

const socket = (over: Partial<ClientSources>): ClientSources => ({
  socketAddress: '10.0.0.5', encrypted: false, forwardedFor: undefined, forwardedProto: undefined, ...over,
});

describe('resolveClient', () => {
  it.each([
    { name: 'no proxy: the socket', input: socket({}), hops: 0, expected: { address: '10.0.0.5', proto: 'http' } },
    { name: 'no proxy: forged headers ignored', input: socket({ forwardedFor: '1.2.3.4', forwardedProto: 'https' }), hops: 0, expected: { address: '10.0.0.5', proto: 'http' } },
    { name: 'no proxy: a TLS socket is https', input: socket({ encrypted: true }), hops: 0, expected: { address: '10.0.0.5', proto: 'https' } },
    { name: 'IPv4-mapped IPv6 socket', input: socket({ socketAddress: '::ffff:127.0.0.1' }), hops: 0, expected: { address: '127.0.0.1', proto: 'http' } },
    { name: 'one proxy: the entry it appended', input: socket({ forwardedFor: 'forged, 1.2.3.4', forwardedProto: 'https' }), hops: 1, expected: { address: '1.2.3.4', proto: 'https' } },
    { name: 'one proxy: header lines joined', input: socket({ forwardedFor: ['forged', '1.2.3.4'] }), hops: 1, expected: { address: '1.2.3.4', proto: 'http' } },
    { name: 'two proxies', input: socket({ forwardedFor: 'forged, 1.2.3.4, 10.0.0.9', forwardedProto: 'https, http' }), hops: 2, expected: { address: '1.2.3.4', proto: 'https' } },
    { name: 'fewer entries than hops: the leftmost', input: socket({ forwardedFor: '1.2.3.4' }), hops: 3, expected: { address: '1.2.3.4', proto: 'http' } },
    { name: 'no socket address', input: socket({ socketAddress: undefined }), hops: 0, expected: { address: 'unknown', proto: 'http' } },
  ])('$name', ({ input, hops, expected }) => {
    expect(resolveClient(input, hops)).toEqual(expected);
  });
});

describe('requestAddress', () => {
  it.each<{ name: string; input: Record<string, string>; expected: string }>([
    { name: 'the rewritten header', input: { 'x-forwarded-for': '1.2.3.4' }, expected: '1.2.3.4' },
    { name: 'no header (not served by npm start)', input: {}, expected: 'unknown' },
  ])('$name', ({ input, expected }) => {
    expect(requestAddress(new Headers(input))).toBe(expected);
  });
});
