// The admin behind a page request: the session cookie (or an x-api-key header, for scripts and
// tests) resolved through lib/auth, the same check the API's route() makes. Every page but sign-in
// is for admins: no or dead credentials answer 401 with the sign-in form (app/unauthorized.tsx), a
// user key 403 (app/forbidden.tsx), as the API does.
import { cache } from 'react';
import { cookies, headers } from 'next/headers';
import { forbidden, notFound, unauthorized } from 'next/navigation';
import { authenticate, NotAuthenticatedError, SESSION_COOKIE, type Principal } from '@/lib/auth';
import { env } from '@/lib/config/env';
import { AppError } from '@/lib/errors';
import { getRuntime } from '@/lib/matching';

/** The session's principal, or null when there is no live session. */
export async function sessionPrincipal(): Promise<Principal | null> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value ?? null;
  if (!token) return null;
  try {
    return await authenticate(getRuntime().db, { apiKey: null, sessionToken: token }, undefined);
  } catch (err) {
    if (err instanceof NotAuthenticatedError) return null;
    throw err;
  }
}

/**
 * The admin of the session or of the request's x-api-key; 401 (sign-in form) without one, 403 for a
 * user key. Cached per request: the (admin) layout and the page both ask, the database answers once.
 */
export const requireSession = cache(async (): Promise<Principal> => {
  const apiKey = (await headers()).get('x-api-key');
  let principal: Principal | null;
  if (apiKey) {
    try {
      principal = await authenticate(getRuntime().db, { apiKey, sessionToken: null }, env.API_KEY);
    } catch (err) {
      if (err instanceof NotAuthenticatedError) unauthorized();
      throw err;
    }
  } else principal = await sessionPrincipal();
  if (!principal) unauthorized();
  if (principal.role !== 'admin') forbidden();
  return principal;
});

/** Awaits a lib read; a `*_not_found` error becomes the not-found page. */
export async function orNotFound<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof AppError && err.code.endsWith('_not_found')) notFound();
    throw err;
  }
}
