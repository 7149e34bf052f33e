/**
 * Where a request came from, and the cross-site request forgery defence of the session cookie: an
 * unsafe method (anything but GET, HEAD, OPTIONS) authenticated by the cookie must come from the
 * service's own origin. SameSite=Strict alone leaves same-site attackers (a sibling subdomain) and
 * old browsers; browsers never send API keys by themselves, so key requests are not checked.
 */
import { AppError } from '@/lib/errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A cookie-authenticated write from another origin (403). */
export class CrossOriginError extends AppError {
  static override readonly kind: string = 'CrossOriginError';

  constructor(message: string) {
    super('cross_origin', message);
  }
}

/**
 * True when the request came over https: directly, or per `X-Forwarded-Proto`, which `npm start`
 * sets to the socket's protocol, or to a proxy's claim when TRUST_PROXY_HOPS trusts it.
 */
export function isSecureRequest(request: Request): boolean {
  return new URL(request.url).protocol === 'https:' || request.headers.get('x-forwarded-proto')?.split(',')[0].trim() === 'https';
}

/**
 * The origin a browser addressed: the `Host` header it sent (Next builds `request.url` from the
 * listen address instead, 0.0.0.0 by default) with the request's scheme. Without a `Host` header
 * (a `Request` built in code), the URL's own origin.
 */
function ownOrigin(request: Request): string {
  const host = request.headers.get('host');
  return host ? `${isSecureRequest(request) ? 'https' : 'http'}://${host}` : new URL(request.url).origin;
}

/**
 * Throws `cross_origin` unless an unsafe request comes from the origin it was sent to. Without `Origin`, a
 * browser's `Sec-Fetch-Site` decides; a request with neither header is not from a browser.
 */
export function requireSameOrigin(request: Request): void {
  if (SAFE_METHODS.has(request.method)) return;
  const own = ownOrigin(request);
  const origin = request.headers.get('origin');
  const fix = 'use an x-api-key header for calls from other sites';
  if (origin !== null) {
    if (origin === own) return;
    throw new CrossOriginError(`a ${request.method} with the session cookie must come from ${own}, got Origin ${origin}; ${fix}`);
  }
  const site = request.headers.get('sec-fetch-site');
  if (site === null || site === 'same-origin' || site === 'none') return;
  throw new CrossOriginError(`a ${request.method} with the session cookie must come from ${own}, got Sec-Fetch-Site ${site}; ${fix}`);
}
