/**
 * Per-request timing spans (issue 20: where a search's time goes). With `SERVER_TIMING=1` the
 * `route()` wrapper opens a span table per request and answers it as a `Server-Timing` header
 * (`decode;dur=1.23, embed;dur=4.56`); `npm run bench -- --only profile` reads it. Off (the
 * default), `span` is one `AsyncLocalStorage.getStore()` call and a direct call of the function.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Milliseconds spent per span name in one request (a name measured twice adds up). */
export type Spans = Map<string, number>;

const current = new AsyncLocalStorage<Spans>();

/** Runs `fn` with a fresh span table and returns its result with the table. */
export async function collectSpans<T>(fn: () => Promise<T>): Promise<{ result: T; spans: Spans }> {
  const spans: Spans = new Map();
  const result = await current.run(spans, fn);
  return { result, spans };
}

/** Adds `ms` to span `name` of the current request, when spans are collected. */
export function addSpan(name: string, ms: number): void {
  const spans = current.getStore();
  if (spans) spans.set(name, (spans.get(name) ?? 0) + ms);
}

/** Runs `fn`, adding its wall time to span `name` when the request collects spans. */
export function span<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const spans = current.getStore();
  if (!spans) return fn();
  const t0 = performance.now();
  return fn().finally(() => spans.set(name, (spans.get(name) ?? 0) + performance.now() - t0));
}

/** The `Server-Timing` header value of a span table (RFC: `name;dur=ms`, comma-separated). */
export function formatServerTiming(spans: Spans): string {
  return [...spans].map(([name, ms]) => `${name};dur=${ms.toFixed(3)}`).join(', ');
}

/** Parses a `Server-Timing` header into milliseconds per name (entries without `dur` are skipped). */
export function parseServerTiming(header: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of header.split(',')) {
    const [name, ...params] = entry.trim().split(';');
    const dur = params.map((p) => p.trim()).find((p) => p.startsWith('dur='));
    if (name && dur) out[name] = Number(dur.slice(4));
  }
  return out;
}
