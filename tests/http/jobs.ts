// Following a job through the API: its server-sent event stream to the end, then its row.
import { expect } from 'vitest';
import type { ApiClient } from './client';
import { ENV_API_KEY, type HttpHarness } from './harness';

const admin = { 'x-api-key': ENV_API_KEY };

/** Reads the job's event stream to its end; returns every `job` event. */
export async function followEvents(h: HttpHarness, jobId: string): Promise<Record<string, any>[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await h.routes.jobEvents.GET(new Request(`http://localhost/api/jobs/${jobId}/events`, { headers: admin }), { params: Promise.resolve({ id: jobId }) });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const text = await res.text();
  const events = text.split('\n\n').filter((b) => b.startsWith('event: job')).map((b) => JSON.parse(b.split('\n')[1].slice('data: '.length)));
  expect(text).toMatch(/event: end\ndata: \{"status":"\w+"\}/);
  return events;
}

/** Follows the job's events to its end and returns its row (`GET /api/jobs/{id}`), which says the same status. */
export async function waitForJob(h: HttpHarness, api: ApiClient, jobId: string): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const events = await followEvents(h, jobId);
  const r = await api.call(h.routes.job.GET, 'GET /api/jobs/{id}', { headers: admin, params: { id: jobId } });
  expect(r.body.status, JSON.stringify(r.body.error)).toBe(events.at(-1)!.status);
  return r.body;
}
