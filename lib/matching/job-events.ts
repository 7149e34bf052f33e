/**
 * Server-sent events of a job: the job row, polled from the database (so any instance can serve
 * them and a page reload resumes), sent as `event: job` whenever it changes, then `event: end`
 * once it reaches a final status. A comment line every 15 s keeps proxies from closing the stream.
 */
import { FINAL_STATUSES, getJob } from '@/lib/jobs';
import type { Principal } from '@/lib/auth';
import { requireAdmin } from './caller';
import { runtime } from './context';
import { toJobDto } from './models/retrain';

/** How often the job row is read. */
const POLL_MS = 400;
/** Keep-alive comment interval. */
const KEEPALIVE_MS = 15_000;

/** The event stream of a job (admin); 404 `job_not_found` before the stream starts. */
export async function jobEventStream(caller: Principal, jobId: string, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
  requireAdmin(caller, 'following jobs');
  const { db } = runtime();
  await getJob(db, jobId);
  const encoder = new TextEncoder();
  let timer: NodeJS.Timeout | null = null;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let last = '';
      let lastSent = Date.now();
      const close = () => {
        if (timer) clearTimeout(timer);
        timer = null;
        try {
          controller.close();
        } catch {
          // already closed by the client
        }
      };
      const tick = async (): Promise<void> => {
        if (signal.aborted) return close();
        try {
          const job = toJobDto(await getJob(db, jobId));
          const text = JSON.stringify(job);
          if (text !== last) {
            controller.enqueue(encoder.encode(`event: job\ndata: ${text}\n\n`));
            last = text;
            lastSent = Date.now();
          } else if (Date.now() - lastSent > KEEPALIVE_MS) {
            controller.enqueue(encoder.encode(': keep-alive\n\n'));
            lastSent = Date.now();
          }
          if (FINAL_STATUSES.has(job.status)) {
            controller.enqueue(encoder.encode(`event: end\ndata: ${JSON.stringify({ status: job.status })}\n\n`));
            return close();
          }
        } catch (err) {
          controller.enqueue(encoder.encode(`event: error\ndata: ${JSON.stringify({ message: (err as Error).message })}\n\n`));
          return close();
        }
        timer = setTimeout(() => void tick(), POLL_MS);
      };
      void tick();
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  });
}
