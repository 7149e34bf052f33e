import { modelOps } from '@/lib/http/operations';
import { getJobStatus } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** A job with its progress and result (admin). */
export const GET = route(modelOps.getJob, async ({ caller, params }) => getJobStatus(caller, params.id));
