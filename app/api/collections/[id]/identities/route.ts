import { galleryOps } from '@/lib/http/operations';
import { createIdentity, listIdentities } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Create an identity in a collection. */
export const POST = route(galleryOps.createIdentity, async ({ caller, params, body }) => createIdentity(caller, params.id, body));

/** List a collection's identities (`q` filters by name). */
export const GET = route(galleryOps.listIdentities, async ({ caller, params, query }) => listIdentities(caller, params.id, query));
