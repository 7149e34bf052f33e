import { modelOps } from '@/lib/http/operations';
import { promoteModel } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Switch the collection to a model version (admin): a background job. */
export const POST = route(modelOps.promoteModel, async ({ caller, params, body }) => promoteModel(caller, params.id, body.modelVersion));
