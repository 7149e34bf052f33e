import { galleryOps } from '@/lib/http/operations';
import { importArchive } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Import a zip archive (folder per identity, or an export) into a collection. */
export const POST = route(galleryOps.importArchive, async ({ caller, params, body }) => importArchive(caller, params.id, body.archive.bytes));
