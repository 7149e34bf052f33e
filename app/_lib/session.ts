// The signed-in admin behind a page request: the session cookie resolved through lib/auth, the same
// check the API's route() makes. Pages that need it redirect to /signin when it is missing or expired.
import { cookies } from 'next/headers';
import { notFound, redirect } from 'next/navigation';
import { authenticate, NotAuthenticatedError, SESSION_COOKIE, type Principal } from '@/lib/auth';
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

/** The session's principal; redirects to the sign-in page (then back to `returnTo`) without one. */
export async function requireSession(returnTo: string): Promise<Principal> {
  const principal = await sessionPrincipal();
  if (!principal) redirect(`/signin?next=${encodeURIComponent(returnTo)}`);
  return principal;
}

/** Awaits a lib read; a `*_not_found` error becomes the not-found page. */
export async function orNotFound<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof AppError && err.code.endsWith('_not_found')) notFound();
    throw err;
  }
}
