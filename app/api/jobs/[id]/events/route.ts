import { modelOps } from '@/lib/http/operations';
import { jobEventStream } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

export const dynamic = 'force-dynamic';

/** Server-sent events of a job until it ends (admin). */
export const GET = route(modelOps.jobEvents, async ({ caller, params, request }) => {
  const stream = await jobEventStream(caller, params.id, request.signal);
  return new Response(stream, {
    status: 200,
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' },
  });
});
