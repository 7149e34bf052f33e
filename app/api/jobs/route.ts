import { modelOps } from '@/lib/http/operations';
import { listJobStatuses } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Recent jobs (admin). */
export const GET = route(modelOps.listJobs, async ({ caller, query }) => listJobStatuses(caller, query));
