import { modelOps } from '@/lib/http/operations';
import { deleteCollectionModel } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Delete a kept version's embeddings and index (admin). */
export const DELETE = route(modelOps.deleteCollectionModel, async ({ caller, params }) => deleteCollectionModel(caller, params.id, params.version));
