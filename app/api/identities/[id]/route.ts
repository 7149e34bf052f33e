import { galleryOps } from '@/lib/http/operations';
import { deleteIdentity, getIdentity, updateIdentity } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Get an identity. */
export const GET = route(galleryOps.getIdentity, async ({ caller, params }) => getIdentity(caller, params.id));

/** Update an identity's name, external id or metadata. */
export const PATCH = route(galleryOps.updateIdentity, async ({ caller, params, body }) => updateIdentity(caller, params.id, body));

/** Delete an identity; its images stop matching at once. */
export const DELETE = route(galleryOps.deleteIdentity, async ({ caller, params }) => deleteIdentity(caller, params.id));
