import { metaOps } from '@/lib/http/operations';
import { openApiDocument } from '@/lib/http/openapi';
import { route } from '@/app/api/_lib/handler';
import pkg from '@/package.json';

/** The OpenAPI 3.1 document of the whole API (no auth). */
export const GET = route(metaOps.openapi, async () => openApiDocument(pkg.version));
