import { imageOps } from '@/lib/http/operations';
import { verifyIdentity } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Does an image show this identity? */
export const POST = route(imageOps.verifyIdentity, async ({ caller, params, body }) => verifyIdentity(caller, params.id, body.image.bytes, { detect: body.detect }));
