import { imageOps } from '@/lib/http/operations';
import { verifyPair } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Do images `a` and `b` show the same identity, at the collection's threshold? */
export const POST = route(imageOps.verifyPair, async ({ caller, params, body }) => verifyPair(caller, params.id, body.a.bytes, body.b.bytes, { detect: body.detect }));
