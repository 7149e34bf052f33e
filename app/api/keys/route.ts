import { createApiKey, listApiKeys } from '@/lib/auth';
import { authOps } from '@/lib/http/operations';
import { route } from '@/app/api/_lib/handler';

/** Create an API key (admin); the secret is in this response only. */
export const POST = route(authOps.createKey, async ({ caller, body, db }) => createApiKey(db(), caller.actor, body));

/** List API keys (admin). */
export const GET = route(authOps.listKeys, async ({ query, db }) => listApiKeys(db(), { limit: query.limit ?? 50, cursor: query.cursor }));
