import { clearedSessionCookie, createSession, endSession, readSessionToken, requestAddress, sessionCookie } from '@/lib/auth';
import { authOps } from '@/lib/http/operations';
import { isSecureRequest } from '@/lib/http/origin';
import { jsonResponse } from '@/lib/http/route';
import { route } from '@/app/api/_lib/handler';

/** Sign in with the admin password: 201 and the session cookie (throttled per client address). */
export const POST = route(authOps.createSession, async ({ request, body, db }) => {
  const session = await createSession(db(), body.password, requestAddress(request.headers));
  const cookie = sessionCookie(session.token, session.expiresAt, isSecureRequest(request));
  return jsonResponse({ id: session.id, expiresAt: session.expiresAt.toISOString() }, 201, { 'set-cookie': cookie });
});

/** Sign out: ends the cookie's session and clears the cookie. */
export const DELETE = route(authOps.deleteSession, async ({ request, db }) => {
  const token = readSessionToken(request.headers.get('cookie'));
  if (token) await endSession(db(), token);
  return jsonResponse(null, 204, { 'set-cookie': clearedSessionCookie(isSecureRequest(request)) });
});
