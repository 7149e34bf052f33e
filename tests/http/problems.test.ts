// The problem+json body of each error class, from the one code->status table: 400, 404, 409,
// 413 (before the body is read, and for a streamed body without Content-Length), 415, 422, and
// the generic 500 and the 503 while starting (through route() itself).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient, openApiClient, type Reply } from './client';
import { ENV_API_KEY, MAX_UPLOAD_BYTES, startHttpHarness, type HttpHarness } from './harness';

let h: HttpHarness;
let api: ApiClient;
const admin = { 'x-api-key': ENV_API_KEY };
let collectionId: string;
let identityId: string;

function problem(reply: Reply, status: number, code: string, detail: string, extra: object = {}) {
  expect(reply.headers.get('content-type')).toBe('application/problem+json');
  expect(reply.body).toEqual({ type: `/problems/${code}`, title: expect.any(String), status, detail, instance: reply.headers.get('x-request-id'), code, ...extra });
}

/** A body stream that records whether anyone read from it (highWaterMark 0: no read-ahead). */
function watchedStream(chunks: number, chunkBytes: number): { stream: ReadableStream<Uint8Array>; pulls: () => number } {
  let pulls = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        pulls += 1;
        if (pulls > chunks) controller.close();
        else controller.enqueue(new Uint8Array(chunkBytes).fill(0x7b));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulls: () => pulls };
}

beforeAll(async () => {
  h = await startHttpHarness();
  api = await openApiClient(h.routes.openapi);
  const c = await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name: 'problems', kind: 'object', domain: 'drawings' } });
  collectionId = c.body.id;
  const i = await api.call(h.routes.identities.POST, 'POST /api/collections/{id}/identities', { headers: admin, params: { id: collectionId }, json: { name: 'a', externalId: 'ext-1' } });
  identityId = i.body.id;
});

afterAll(async () => {
  await h?.stop();
});

describe('problem+json', () => {
  it('400 invalid_json for a malformed body', async () => {
    const r = await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: { ...admin, 'content-type': 'application/json' }, body: '{"name": ' });
    problem(r, 400, 'invalid_json', 'the body is not valid JSON (UTF-8)');
  });

  it('400 invalid_cursor for a cursor the API never returned', async () => {
    const r = await api.call(h.routes.collections.GET, 'GET /api/collections', { headers: admin, query: { cursor: 'garbage' } });
    problem(r, 400, 'invalid_cursor', 'cursor is not one this API returned; pass nextCursor from the previous page');
  });

  it('404 for a missing collection', async () => {
    const r = await api.call(h.routes.collection.GET, 'GET /api/collections/{id}', { headers: admin, params: { id: 'missing' } });
    problem(r, 404, 'collection_not_found', 'no collection with id missing');
  });

  it('409 for a second identity with the same externalId', async () => {
    const r = await api.call(h.routes.identities.POST, 'POST /api/collections/{id}/identities', { headers: admin, params: { id: collectionId }, json: { name: 'b', externalId: 'ext-1' } });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ type: '/problems/conflict', status: 409, code: 'conflict', instance: r.headers.get('x-request-id') });
  });

  it('413 from Content-Length before a byte of the body is read', async () => {
    const { stream, pulls } = watchedStream(1, 16);
    const res = await h.routes.images.POST(
      new Request(`http://localhost/api/identities/${identityId}/images`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(MAX_UPLOAD_BYTES + 1) },
        body: stream,
        duplex: 'half',
      } as RequestInit),
      { params: Promise.resolve({ id: identityId }) },
    );
    const reply = { status: res.status, headers: res.headers, body: await res.json() };
    api.validate('POST', '/api/identities/{id}/images', reply);
    problem(reply, 413, 'request_too_large', `request bodies are limited to ${MAX_UPLOAD_BYTES} bytes (MAX_UPLOAD_BYTES), got Content-Length ${MAX_UPLOAD_BYTES + 1}`);
    expect(pulls()).toBe(0);
  });

  it('413 for a streamed body without Content-Length, read no further than the limit', async () => {
    const chunk = 256 * 1024;
    const { stream, pulls } = watchedStream(1000, chunk);
    const res = await h.routes.search.POST(
      new Request(`http://localhost/api/collections/${collectionId}/search`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit),
      { params: Promise.resolve({ id: collectionId }) },
    );
    const reply = { status: res.status, headers: res.headers, body: await res.json() };
    api.validate('POST', '/api/collections/{id}/search', reply);
    problem(reply, 413, 'request_too_large', `request bodies are limited to ${MAX_UPLOAD_BYTES} bytes (MAX_UPLOAD_BYTES), got more than ${MAX_UPLOAD_BYTES} bytes in a streamed body`);
    expect(pulls()).toBeLessThanOrEqual(MAX_UPLOAD_BYTES / chunk + 2);
  });

  it('415 for a body that is neither JSON nor multipart', async () => {
    const r = await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: { ...admin, 'content-type': 'text/plain' }, body: 'name=x' });
    problem(r, 415, 'unsupported_media_type', 'expected a application/json body, got "text/plain"');
  });

  it('422 validation_failed names each field, never the raw zod issues', async () => {
    const r = await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name: 5, kind: 'car', colour: 'red' } });
    problem(r, 422, 'validation_failed', 'the request body is invalid; see `errors`', {
      errors: [
        { path: 'name', message: 'Invalid input: expected string, received number' },
        { path: 'kind', message: 'Invalid option: expected one of "face"|"object"' },
        { path: 'colour', message: 'unknown field' },
      ],
    });
  });

  it('422 for an invalid query value', async () => {
    const r = await api.call(h.routes.collections.GET, 'GET /api/collections', { headers: admin, query: { limit: 1000 } });
    problem(r, 422, 'validation_failed', 'the query string is invalid; see `errors`', { errors: [{ path: 'limit', message: 'Too big: expected number to be <=100' }] });
  });
});

describe('route() itself', () => {
  it('500 hides the error and logs its stack with the request id', async () => {
    const { createRoute: make } = await import('@/lib/http/route');
    const { metaOps } = await import('@/lib/http/operations');
    const route = make({ db: () => h.svc.getRuntime().db });
    const handler = route(metaOps.openapi, async () => {
      throw new Error('Invalid `prisma.image.create()` invocation: secret column');
    });
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const res = await handler(new Request('http://localhost/api/openapi.json', { headers: { 'x-request-id': 'req-500' } }), { params: Promise.resolve({}) });
    const reply = { status: res.status, headers: res.headers, body: await res.json() };
    const logged = spy.mock.calls.map((c) => [...c]);
    spy.mockRestore();
    api.validate('GET', '/api/openapi.json', reply);
    problem(reply, 500, 'internal', 'an unexpected error occurred; the server log has the details under this request id');
    expect(reply.headers.get('x-request-id')).toBe('req-500');
    expect(JSON.stringify(reply.body)).not.toMatch(/prisma|secret|at /);
    expect(logged).toEqual([['[http] req-500 GET /api/openapi.json failed:', expect.objectContaining({ stack: expect.stringContaining('secret column') })]]);
  });

  it('503 while the runtime is starting', async () => {
    const { createRoute: make } = await import('@/lib/http/route');
    const { NotReadyError } = await import('@/lib/errors');
    const route = make({
      db: () => {
        throw new NotReadyError('starting', 'the service is starting: database, TF.js backend and models are loading');
      },
    });
    const { galleryOps } = await import('@/lib/http/operations');
    const handler = route(galleryOps.listCollections, async () => ({ items: [], nextCursor: null }));
    const res = await handler(new Request('http://localhost/api/collections', { headers: admin }), { params: Promise.resolve({}) });
    const reply = { status: res.status, headers: res.headers, body: await res.json() };
    api.validate('GET', '/api/collections', reply);
    problem(reply, 503, 'starting', 'the service is starting: database, TF.js backend and models are loading');
  });
});
