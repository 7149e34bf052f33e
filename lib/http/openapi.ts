/**
 * The OpenAPI 3.1 document, generated from the operations table and the zod schemas the routes
 * parse with (`z.toJSONSchema`), so the document cannot drift from what the code accepts.
 */
import { z } from 'zod';
import type { Operation } from './operation';
import { OPERATIONS } from './operations';
import { PROBLEM_CONTENT_TYPE, problemSchema } from './problem';
import { requestRegistry, responseRegistry, type ComponentMeta } from './registry';
import { ACCESS_TEXT, SESSION_COOKIE, summariesWith } from '@/lib/auth';

type Json = Record<string, unknown>;
const REF = '#/components/schemas/';

const STATUS_TEXT: Record<number, string> = {
  400: 'Malformed request (bad JSON, multipart or cursor).',
  401: 'Not authenticated: no or an invalid API key or session.',
  403: 'Authenticated but not allowed (role or collection scope), or a cookie-authenticated write from another origin (`cross_origin`).',
  404: 'Not found.',
  409: 'Conflicts with stored state.',
  413: 'Body over MAX_UPLOAD_BYTES (refused before it is read).',
  415: 'Unsupported Content-Type.',
  422: 'Invalid input; `errors` names the fields.',
  429: 'Too many failed sign-ins from this address or in all; retry after `Retry-After` seconds.',
  500: 'Unexpected error; the server log has it under the request id.',
  503: 'Starting, or a dependency is not ready.',
};

function strip(schema: Json): Json {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

function components(registry: z.core.$ZodRegistry<ComponentMeta>, io: 'input' | 'output'): Record<string, Json> {
  const out = z.toJSONSchema(registry, { io, target: 'draft-2020-12', unrepresentable: 'any', uri: (id) => `${REF}${id}` });
  return Object.fromEntries(Object.entries(out.schemas).map(([id, s]) => [id, strip(s as Json)]));
}

function refOf(registry: z.core.$ZodRegistry<ComponentMeta>, schema: z.ZodType): Json {
  const direct = registry.get(schema);
  const inner = (schema as unknown as { in?: z.ZodType }).in;
  const meta = direct ?? (inner ? registry.get(inner) : undefined);
  if (!meta) throw new Error(`schema used by an operation is not registered: ${JSON.stringify(z.toJSONSchema(schema, { unrepresentable: 'any' })).slice(0, 120)}`);
  return { $ref: `${REF}${meta.id}` };
}

function parameters(op: Operation): Json[] {
  const params: Json[] = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  if (op.query) {
    const q = z.toJSONSchema(op.query, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      const { description, ...rest } = schema;
      params.push({ name, in: 'query', required: q.required?.includes(name) ?? false, description, schema: rest });
    }
  }
  return params;
}

function responses(op: Operation): Json {
  const out: Json = {};
  const { success } = op;
  const body = success.binary
    ? { content: { [success.binary]: { schema: { type: 'string', contentMediaType: success.binary } } } }
    : success.status === 204
      ? {}
      : { content: { 'application/json': { schema: success.schema ? refOf(responseRegistry, success.schema) : { type: 'object' } } } };
  out[String(success.status)] = { description: success.description, ...body };
  for (const status of op.sameBodyStatuses ?? []) out[String(status)] = { description: STATUS_TEXT[status] ?? 'See description.', ...body, ...retryAfter(status) };
  for (const status of problemStatuses(op)) {
    out[String(status)] = { description: STATUS_TEXT[status], content: { [PROBLEM_CONTENT_TYPE]: { schema: refOf(responseRegistry, problemSchema) } }, ...retryAfter(status) };
  }
  return out;
}

/** Every 503 says when to retry (starting, index rebuilding, embedding worker restarting). */
function retryAfter(status: number): Json {
  if (status !== 503 && status !== 429) return {};
  return { headers: { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } } } };
}

function problemStatuses(op: Operation): number[] {
  const s = new Set<number>(op.extraProblems ?? []);
  if (op.auth !== 'none') [401, 403].forEach((x) => s.add(x));
  if (op.body) [400, 413, 415, 422].forEach((x) => s.add(x));
  if (op.query) [400, 422].forEach((x) => s.add(x));
  if (op.path.includes('{')) s.add(404);
  if (op.id !== 'health') s.add(500);
  if (op.auth !== 'none' || op.body) s.add(503);
  return [...s].filter((x) => !(op.sameBodyStatuses ?? []).includes(x)).sort((a, b) => a - b);
}

function operation(op: Operation): Json {
  const content: Json = {};
  if (op.body?.json) content['application/json'] = { schema: refOf(requestRegistry, op.body.json) };
  if (op.body?.multipart) content['multipart/form-data'] = { schema: refOf(requestRegistry, op.body.multipart) };
  return {
    operationId: op.id,
    tags: [op.tag],
    summary: op.summary,
    description: op.description ? `${op.description}\n\n${ACCESS_TEXT[op.auth]}` : ACCESS_TEXT[op.auth],
    security: op.auth === 'none' ? [] : [{ apiKey: [] }, { session: [] }],
    ...(op.auth === 'none' ? {} : { 'x-required-role': op.auth === 'admin' ? 'admin' : 'user' }),
    parameters: parameters(op),
    ...(op.body ? { requestBody: { required: true, content } } : {}),
    responses: responses(op),
  };
}

let cached: Json | null = null;

/** The OpenAPI 3.1 document of the whole API (built once per process). */
export function openApiDocument(version: string): Json {
  if (cached) return cached;
  const paths: Record<string, Json> = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method.toLowerCase()] = operation(op);
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Fewshot Match API',
      version,
      description:
        'Enroll a few images per identity, then search with a new image. Every /api route except health and this document needs an ' +
        '`x-api-key` header or the admin session cookie. Errors are RFC 9457 `application/problem+json`; every response carries `x-request-id`.\n\n' +
        `Roles (each operation's \`x-required-role\`): a user key may ${summariesWith('any').map((s) => s.toLowerCase()).join('; ')}. ` +
        'Everything else needs an admin key or the admin session. A key scoped to a collection acts in that collection only.',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    tags: [...new Set(OPERATIONS.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...components(requestRegistry, 'input'), ...components(responseRegistry, 'output') },
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'A key from POST /api/keys, or the API_KEY variable.' },
        session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'Set by POST /api/session.' },
      },
    },
  };
  return cached;
}
