import { RETRY_AFTER_SECONDS } from '@/lib/http/problem';
import { runtimeStatus } from '@/lib/matching';

export const dynamic = 'force-dynamic';

/** Liveness and readiness: 503 until the database, backend and models are ready, then 200; 503 `degraded` while the embedding worker restarts. */
export function GET(): Response {
  const status = runtimeStatus();
  const ready = status.status === 'ready';
  return Response.json(status, {
    status: ready ? 200 : 503,
    headers: { 'cache-control': 'no-store', ...(ready ? {} : { 'retry-after': String(RETRY_AFTER_SECONDS) }) },
  });
}
