import { imageOps } from '@/lib/http/operations';
import { search } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Search a collection with an image: the nearest identities, or unknown. */
export const POST = route(imageOps.search, async ({ caller, params, body }) => search(caller, params.id, body.image.bytes, { k: body.k, detect: body.detect }));
