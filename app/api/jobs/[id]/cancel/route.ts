import { modelOps } from '@/lib/http/operations';
import { cancelJobRun } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Cancel a queued or running job (admin). */
export const POST = route(modelOps.cancelJob, async ({ caller, params }) => cancelJobRun(caller, params.id));
