import { modelOps } from '@/lib/http/operations';
import { listCollectionModels } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** The model versions the collection keeps embeddings for (admin). */
export const GET = route(modelOps.listCollectionModels, async ({ caller, params }) => listCollectionModels(caller, params.id));
