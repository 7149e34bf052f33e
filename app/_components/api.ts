// Browser-side calls to the REST API (same origin, the session cookie rides along): every page
// action goes through the same routes, validation and problem+json errors as any API client.

import { verdictWords } from './verdicts';

/** A problem+json answer (RFC 9457) as the API sends it. */
export interface Problem {
  title: string;
  status: number;
  detail?: string;
  code?: string;
  /** The request id (the problem's `instance`, else the `x-request-id` header). */
  instance?: string;
  rejected?: { file: string; reason: string; detail: string }[];
}

/** A failed API call, carrying the problem body. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
  }
}

/**
 * The problem as a person reads it: a refusal code with words (`no_face`, `low_score`…) leads its
 * detail, and a server failure names its request id, under which the server log has the cause.
 */
export function wordProblem(p: Problem): Problem {
  const words = p.code ? verdictWords(p.code) : undefined;
  let detail = words ? (p.detail ? `${words} (${p.detail})` : words) : p.detail;
  if (p.status >= 500 && p.instance) detail = detail ? `${detail}. Request id: ${p.instance}` : `Request id: ${p.instance}`;
  return { ...p, detail };
}

/**
 * Calls `path`; JSON bodies are sent as JSON, FormData as multipart; `blob` answers the body as a Blob
 * (an image). Throws ApiError on 4xx/5xx, its problem worded by `wordProblem`.
 */
export async function callApi<T>(path: string, init: { method?: string; json?: unknown; form?: FormData; blob?: boolean } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? (init.json !== undefined || init.form ? 'POST' : 'GET'),
    headers: init.json !== undefined ? { 'content-type': 'application/json' } : undefined,
    body: init.json !== undefined ? JSON.stringify(init.json) : init.form,
    credentials: 'same-origin',
  });
  if (res.status === 204) return undefined as T;
  if (init.blob && res.ok) return (await res.blob()) as T;
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const p = (body ?? {}) as Partial<Problem>;
    const instance = p.instance ?? res.headers.get('x-request-id') ?? undefined;
    throw new ApiError(wordProblem({ ...p, title: p.title ?? `HTTP ${res.status}`, status: res.status, instance, detail: p.detail ?? (body ? undefined : text.slice(0, 200)) }));
  }
  return body as T;
}

/** The problem behind a failed call: the API's own, or a network failure's message. */
export function problemOf(err: unknown, title = 'Request failed'): Problem {
  return err instanceof ApiError ? err.problem : { title, status: 0, detail: err instanceof Error ? err.message : String(err) };
}
