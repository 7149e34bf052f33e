/**
 * `route()`: the one wrapper every API handler goes through. Request id, auth (x-api-key or the
 * admin session cookie), the upload limit before the body is read, body and query parsing with
 * zod, then the handler, whose result becomes JSON, and whose errors become problem+json.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { authenticate, readSessionToken, requireAdminRole, type AuthDb as Db, type Principal } from '@/lib/auth';
import { env } from '@/lib/config/env';
import { addSpan, collectSpans, formatServerTiming, span } from '@/lib/config/server-timing';
import { InputError } from '@/lib/errors';
import { bodyKind, checkDeclaredLength, formToObject, parseJson, parseMultipart, readLimited, type BodyKind } from './body';
import type { AuthRule, Operation } from './operation';
import { requireSameOrigin } from './origin';
import { problemHeaders, problemResponse, toProblem } from './problem';
import { arrayFields, toFieldErrors } from './validation';

/** What a handler receives. */
export interface HandlerContext<A extends AuthRule, Q, B> {
  request: Request;
  requestId: string;
  /** The caller; null only on `auth: 'none'` operations. */
  caller: A extends 'none' ? null : Principal;
  params: Record<string, string>;
  query: Q;
  body: B;
  /** The runtime's database (for lib/auth calls); throws 503 while the service starts. */
  db: () => Db;
}

/** Next's second handler argument; `params` is a Promise since Next 15. */
export interface NextRouteContext {
  params: Promise<Record<string, string | string[] | undefined>>;
}

/** What the wrapper needs from the app: the database of the started runtime. */
export interface RouteDeps {
  db: () => Db;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** A JSON response with the API's standard headers. */
export function jsonResponse(data: unknown, status = 200, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set('content-type', 'application/json');
  if (!h.has('cache-control')) h.set('cache-control', 'no-store');
  return new Response(status === 204 ? null : JSON.stringify(data), { status, headers: h });
}

async function parseQuery<Q>(schema: z.ZodType<Q>, url: URL): Promise<Q> {
  const raw = Object.fromEntries(url.searchParams.entries());
  const parsed = await schema.safeParseAsync(raw);
  if (parsed.success) return parsed.data;
  throw new InputError('validation_failed', 'the query string is invalid; see `errors`', { errors: toFieldErrors(parsed.error) });
}

async function parseBody<B>(request: Request, spec: NonNullable<Operation<AuthRule, unknown, B>['body']>): Promise<B> {
  const accepted = (['json', 'multipart'] as const).filter((k) => spec[k]) as BodyKind[];
  const kind = bodyKind(request, accepted);
  const bytes = await readLimited(request, env.MAX_UPLOAD_BYTES);
  const schema = spec[kind] as z.ZodType<B>;
  const raw = kind === 'json' ? parseJson(bytes) : formToObject(await parseMultipart(bytes, request.headers.get('content-type') ?? ''), arrayFields(schema));
  const parsed = await schema.safeParseAsync(raw);
  if (parsed.success) return parsed.data;
  throw new InputError('validation_failed', 'the request body is invalid; see `errors`', { errors: toFieldErrors(parsed.error) });
}

function flatParams(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Builds `route()` bound to the app's dependencies (see app/api/_lib/route.ts). */
export function createRoute(deps: RouteDeps) {
  return function route<A extends AuthRule, Q, B>(
    op: Operation<A, Q, B>,
    handler: (ctx: HandlerContext<A, Q, B>) => Promise<unknown>,
  ): (request: Request, context: NextRouteContext) => Promise<Response> {
    const handle = async (request: Request, context: NextRouteContext): Promise<Response> => {
      const given = request.headers.get('x-request-id');
      const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
      let response: Response;
      try {
        if (op.body) checkDeclaredLength(request, env.MAX_UPLOAD_BYTES);
        let caller: Principal | null = null;
        if (op.auth !== 'none') {
          const credentials = { apiKey: request.headers.get('x-api-key'), sessionToken: readSessionToken(request.headers.get('cookie')) };
          caller = await span('auth', () => authenticate(deps.db(), credentials, env.API_KEY));
          if (!credentials.apiKey) requireSameOrigin(request);
          if (op.auth === 'admin') requireAdminRole(caller);
        }
        const params = flatParams((await context?.params) ?? {});
        const query = op.query ? await parseQuery(op.query, new URL(request.url)) : (undefined as Q);
        const body = op.body ? await span('parse', () => parseBody(request, op.body!)) : (undefined as B);
        const ctx = { request, requestId, caller, params, query, body, db: deps.db } as HandlerContext<A, Q, B>;
        const result = await handler(ctx);
        const t0 = performance.now();
        response = result instanceof Response ? result : jsonResponse(result, op.success.status);
        addSpan('serialise', performance.now() - t0);
      } catch (err) {
        const problem = toProblem(err, requestId);
        if (problem.status === 500) console.error(`[http] ${requestId} ${request.method} ${new URL(request.url).pathname} failed:`, err);
        response = problemResponse(problem, problemHeaders(err));
      }
      response.headers.set('x-request-id', requestId);
      return response;
    };
    if (env.SERVER_TIMING === '0') return handle;
    return async (request, context) => {
      const t0 = performance.now();
      const { result: response, spans } = await collectSpans(() => handle(request, context));
      spans.set('total', performance.now() - t0);
      response.headers.set('server-timing', formatServerTiming(spans));
      return response;
    };
  };
}
