// The pages' problem wording (issue 16, section 1): callApi (app/_components/api.ts, behind every
// page action) leads a refusal with its code's words and names the request id of a server failure.
// fetch is pointed at the real route handlers (the transport only: the handlers, route() and the
// runtime are the real ones), as a page's same-origin call reaches them through Next.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiError, callApi } from '@/app/_components/api';
import { encodePng } from '@/lib/imaging';
import { noiseImage } from '../faces/fixtures';
import { ENV_API_KEY, startHttpHarness, type HttpHarness } from './harness';

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
let h: HttpHarness;

beforeAll(async () => {
  h = await startHttpHarness();
}, 120_000);

afterEach(() => {
  vi.unstubAllGlobals();
});

afterAll(async () => {
  await h?.stop();
});

/** Sends the page's same-origin calls to `handler` with the admin key (a page sends its session cookie). */
function serveWith(handler: Handler, params: Record<string, string>, requestId?: string): void {
  vi.stubGlobal('fetch', (path: string, init: RequestInit) => {
    const headers = new Headers(init.headers);
    headers.set('x-api-key', ENV_API_KEY);
    if (requestId) headers.set('x-request-id', requestId);
    return handler(new Request(`http://localhost${path}`, { ...init, headers }), { params: Promise.resolve(params) });
  });
}

/** The problem callApi throws for `path`. */
async function problemOf(path: string, init: Parameters<typeof callApi>[1] = {}) {
  const err = await callApi(path, init).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  return (err as ApiError).problem;
}

describe('callApi problems', () => {
  it('leads a face refusal with the words of its code, then the API detail', async () => {
    const c = await h.svc.createCollection({ actor: 'system', role: 'admin', collectionId: null }, { name: 'faces', kind: 'face' });
    serveWith(h.routes.search.POST as Handler, { id: c.id });
    const form = new FormData();
    form.append('image', new File([new Uint8Array(await encodePng(noiseImage(400, 360, 7)))], 'noise.png', { type: 'image/png' }));
    const p = await problemOf(`/api/collections/${c.id}/search`, { form });
    expect(p).toMatchObject({ status: 422, code: 'no_face' });
    expect(p.detail).toMatch(/^No face was found in the image\. \(no face found/);
    expect(p.detail).not.toContain('Request id');
  });

  it('names the request id of a server failure', async () => {
    const { createRoute } = await import('@/lib/http/route');
    const { metaOps } = await import('@/lib/http/operations');
    const failing = createRoute({ db: () => h.svc.getRuntime().db })(metaOps.openapi, async () => {
      throw new Error('a bug');
    });
    serveWith(failing as Handler, {}, 'req-words-500');
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const p = await problemOf('/api/openapi.json');
    spy.mockRestore();
    expect(p).toMatchObject({ status: 500, code: 'internal', instance: 'req-words-500' });
    expect(p.detail).toBe('an unexpected error occurred; the server log has the details under this request id. Request id: req-words-500');
  });

  it('leaves a problem without words or failure as the API sent it', async () => {
    serveWith(h.routes.identity.GET as Handler, { id: 'no-such-identity' });
    const p = await problemOf('/api/identities/no-such-identity');
    expect(p).toMatchObject({ status: 404, code: 'identity_not_found', detail: 'no identity with id no-such-identity' });
  });
});
