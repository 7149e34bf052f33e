import { galleryOps } from '@/lib/http/operations';
import { createCollection, listCollections } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Create a collection (admin). */
export const POST = route(galleryOps.createCollection, async ({ caller, body }) => createCollection(caller, body));

/** List collections (a scoped key sees its own). */
export const GET = route(galleryOps.listCollections, async ({ caller, query }) => listCollections(caller, query));
