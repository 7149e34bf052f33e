import { galleryOps } from '@/lib/http/operations';
import { deleteCollection, getCollection, updateCollection } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Get a collection. */
export const GET = route(galleryOps.getCollection, async ({ caller, params }) => getCollection(caller, params.id));

/** Update a collection's name, target FAR, threshold override or settings (admin). */
export const PATCH = route(galleryOps.updateCollection, async ({ caller, params, body }) => updateCollection(caller, params.id, body));

/** Delete a collection with everything in it (admin). */
export const DELETE = route(galleryOps.deleteCollection, async ({ caller, params }) => deleteCollection(caller, params.id));
