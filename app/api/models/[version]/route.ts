import { modelOps } from '@/lib/http/operations';
import { getModel } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** A model version with its manifest (admin). */
export const GET = route(modelOps.getModel, async ({ caller, params }) => getModel(caller, params.version));
