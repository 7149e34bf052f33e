import { modelOps } from '@/lib/http/operations';
import { startRetrain } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Start retraining the collection's model on its gallery (admin). */
export const POST = route(modelOps.startRetrain, async ({ caller, params, body }) => startRetrain(caller, params.id, body));
