// Calls the exported route handlers with real `Request`s and validates EVERY response against
// GET /api/openapi.json (JSON Schema 2020-12 via Ajv): an undocumented route, status, content type
// or field fails the test that made the call.
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';

/** A route handler as Next calls it. */
export type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;

/** What a call returns. */
export interface Reply {
  status: number;
  headers: Headers;
  /** Parsed JSON for JSON bodies, raw bytes otherwise, null when empty. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Options of one call. */
export interface CallInit {
  params?: Record<string, string>;
  headers?: Record<string, string>;
  json?: unknown;
  form?: FormData;
  body?: BodyInit;
  query?: Record<string, string | number>;
}

type OpenApi = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>; components: object };

/** Validates responses against one OpenAPI document. */
export class ApiClient {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();
  /** Calls made, as `METHOD template status`, for the coverage check. */
  readonly seen = new Set<string>();

  constructor(private readonly doc: OpenApi) {
    this.ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(this.ajv);
    this.ajv.addFormat('binary', true);
    this.ajv.addVocabulary(['components']);
    this.ajv.addSchema({ $id: 'openapi', components: doc.components });
  }

  /** Calls `handler` as `METHOD template` (e.g. `POST /api/collections/{id}/search`) and validates the reply. */
  async call(handler: Handler, route: string, init: CallInit = {}): Promise<Reply> {
    const [method, template] = route.split(' ');
    const params = init.params ?? {};
    let url = `http://localhost${template.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(params[k]))}`;
    if (init.query) url += `?${new URLSearchParams(Object.entries(init.query).map(([k, v]) => [k, String(v)]))}`;
    const headers = new Headers(init.headers);
    let body: BodyInit | undefined = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    } else if (init.form) body = init.form;
    const res = await handler(new Request(url, { method, headers, body }), { params: Promise.resolve(params) });
    const reply = await read(res);
    this.validate(method, template, reply);
    return reply;
  }

  /** Fails unless the reply is documented for this operation and matches its schema. */
  validate(method: string, template: string, reply: Reply): void {
    const op = this.doc.paths[template]?.[method.toLowerCase()];
    expect(op, `${method} ${template} is not in the OpenAPI document`).toBeDefined();
    const response = op!.responses[String(reply.status)];
    expect(response, `${method} ${template} answered ${reply.status}, which the document does not list`).toBeDefined();
    this.seen.add(`${method} ${template} ${reply.status}`);
    const type = (reply.headers.get('content-type') ?? '').split(';')[0];
    const contents = response!.content ?? {};
    if (Object.keys(contents).length === 0) {
      expect(reply.body, `${method} ${template} ${reply.status} must have no body`).toBeNull();
      return;
    }
    const key = Object.keys(contents).find((c) => c === type || (c.endsWith('/*') && type.startsWith(c.slice(0, -1))));
    expect(key, `${method} ${template} ${reply.status} answered ${type}, documented: ${Object.keys(contents).join(', ')}`).toBeDefined();
    if (!key!.includes('json')) return;
    const id = `${method} ${template} ${reply.status} ${key}`;
    let validate = this.compiled.get(id);
    if (!validate) {
      validate = this.ajv.compile(rebase(contents[key!].schema));
      this.compiled.set(id, validate);
    }
    const ok = validate(reply.body);
    expect(ok, `${id}: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(reply.body).slice(0, 600)}`).toBe(true);
  }
}

/** Fails unless the reply is the full problem+json body of `code` with a `detail` matching. */
export function expectProblem(reply: Reply, status: number, code: string, detail: RegExp | string): void {
  expect(reply.headers.get('content-type')).toBe('application/problem+json');
  expect(reply.body).toEqual({
    type: `/problems/${code}`,
    title: expect.any(String),
    status,
    detail: typeof detail === 'string' ? detail : expect.stringMatching(detail),
    instance: reply.headers.get('x-request-id'),
    code,
    ...(status === 422 ? { errors: expect.any(Array) } : {}),
  });
}

/** Points `#/components/...` refs of an operation's schema at the registered document. */
function rebase(schema: object): object {
  return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\/components\//g, '"$ref":"openapi#/components/'));
}

async function read(res: Response): Promise<Reply> {
  const type = res.headers.get('content-type') ?? '';
  const bytes = new Uint8Array(await res.arrayBuffer());
  let body: unknown = null;
  if (bytes.byteLength > 0) body = type.includes('json') ? JSON.parse(new TextDecoder().decode(bytes)) : bytes;
  return { status: res.status, headers: res.headers, body };
}

/** Fetches the document through its own route (validated against itself afterwards) and returns a client. */
export async function openApiClient(openapi: { GET: Handler }): Promise<ApiClient> {
  const res = await openapi.GET(new Request('http://localhost/api/openapi.json'), { params: Promise.resolve({}) });
  const reply = await read(res);
  expect(reply.status).toBe(200);
  const client = new ApiClient(reply.body as OpenApi);
  client.validate('GET', '/api/openapi.json', reply);
  return client;
}
