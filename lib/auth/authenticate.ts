/** Resolves request credentials (x-api-key or the session cookie) to a `Principal`. */
import type { Db } from '@/lib/db/client';
import { resolveApiKey } from './keys';
import { NotAuthenticatedError, type Principal } from './principal';
import { resolveSession } from './sessions';
import { safeEqual, sha256Text } from './tokens';

/** Credentials found on a request. */
export interface Credentials {
  /** The `x-api-key` header. */
  apiKey: string | null;
  /** The session cookie's token. */
  sessionToken: string | null;
}

/** The principal of the `API_KEY` variable: admin rights while it is set. */
const ENV_PRINCIPAL: Principal = Object.freeze({ actor: 'key:env', role: 'admin', collectionId: null });

/**
 * The caller behind the credentials. An `x-api-key` header wins over the cookie; a present but
 * wrong key is 401 even when a valid cookie is also sent, so a bad key is never masked.
 */
export async function authenticate(db: Db, credentials: Credentials, envApiKey: string | undefined): Promise<Principal> {
  const { apiKey, sessionToken } = credentials;
  if (apiKey) {
    // Compare digests so the comparison is constant-time whatever the lengths.
    if (envApiKey && safeEqual(sha256Text(apiKey), sha256Text(envApiKey))) return ENV_PRINCIPAL;
    const principal = await resolveApiKey(db, apiKey);
    if (!principal) throw new NotAuthenticatedError('the x-api-key header matches no live API key (revoked or mistyped?)');
    return principal;
  }
  if (sessionToken) {
    const principal = await resolveSession(db, sessionToken);
    if (!principal) throw new NotAuthenticatedError('the session has expired or was ended; sign in again');
    return principal;
  }
  throw new NotAuthenticatedError('send an x-api-key header or sign in (POST /api/session) for the session cookie');
}
