import { modelOps } from '@/lib/http/operations';
import { listModels } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Every model version with its use and promotions (admin). */
export const GET = route(modelOps.listModels, async ({ caller }) => listModels(caller));
