import { galleryOps } from '@/lib/http/operations';
import { exportCollection } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Export a collection as a zip archive (admin). */
export const GET = route(galleryOps.exportCollection, async ({ caller, params }) => {
  const archive = await exportCollection(caller, params.id);
  return new Response(new Uint8Array(archive.bytes), {
    status: 200,
    headers: {
      'content-type': 'application/zip',
      'content-length': String(archive.bytes.byteLength),
      'content-disposition': `attachment; filename="${archive.name}"`,
      'cache-control': 'no-store',
    },
  });
});
