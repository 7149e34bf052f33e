import { revokeApiKey } from '@/lib/auth';
import { authOps } from '@/lib/http/operations';
import { route } from '@/app/api/_lib/handler';

/** Revoke an API key (admin). */
export const DELETE = route(authOps.revokeKey, async ({ caller, params, db }) => revokeApiKey(db(), caller.actor, params.id));
