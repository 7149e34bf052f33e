import { modelOps } from '@/lib/http/operations';
import { rollbackModel } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Switch the collection back to its previous model version (admin): a background job. */
export const POST = route(modelOps.rollbackModel, async ({ caller, params }) => rollbackModel(caller, params.id));
