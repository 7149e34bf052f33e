/**
 * Who is on the other end of a request. `npm start` (scripts/start.ts) resolves the client from
 * the socket, or from `X-Forwarded-For`/`X-Forwarded-Proto` when TRUST_PROXY_HOPS says proxies set
 * them, and rewrites both headers to the resolved values before Next sees the request; route
 * handlers, which see headers only, read them back with `requestAddress`.
 */

/** What the socket and the forwarding headers say. */
export interface ClientSources {
  socketAddress: string | undefined;
  /** True on a TLS socket. */
  encrypted: boolean;
  forwardedFor: string | string[] | undefined;
  forwardedProto: string | string[] | undefined;
}

/** The resolved client. */
export interface Client {
  address: string;
  proto: 'http' | 'https';
}

const list = (value: string | string[] | undefined): string[] =>
  [value ?? []].flat().flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

/** `::ffff:127.0.0.1` (an IPv4 client of a dual-stack socket) is `127.0.0.1`. */
const plain = (address: string): string => address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');

/**
 * The client behind `hops` trusted proxies: each proxy appends the address it received from, so
 * the client is the entry `hops` places left of the socket's address (the nearest proxy). With 0
 * hops the headers are ignored: any client can write them.
 */
export function resolveClient(sources: ClientSources, hops: number): Client {
  const chain = [...(hops > 0 ? list(sources.forwardedFor) : []), sources.socketAddress ?? 'unknown'];
  const address = plain(chain[Math.max(0, chain.length - 1 - hops)]);
  const forwarded = hops > 0 ? list(sources.forwardedProto)[0] : undefined;
  const proto = forwarded === 'https' || (!forwarded && sources.encrypted) ? 'https' : 'http';
  return { address, proto };
}

/** The client address of a request that came through `npm start` ('unknown' otherwise). */
export function requestAddress(headers: Headers): string {
  return headers.get('x-forwarded-for')?.split(',')[0].trim() || 'unknown';
}
