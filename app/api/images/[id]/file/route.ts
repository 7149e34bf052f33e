import { imageOps } from '@/lib/http/operations';
import { getImageFile } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** The original bytes of an enrolled image, or a PNG rendition with `format=png` (authenticated). */
export const GET = route(imageOps.getImageFile, async ({ caller, params, query }) => {
  const format = query.format ?? 'original';
  const file = await getImageFile(caller, params.id, { format });
  return new Response(file.body, {
    status: 200,
    headers: {
      'content-type': file.contentType,
      'content-length': String(file.sizeBytes),
      etag: `"${file.sha256}${format === 'png' ? '.png' : ''}"`,
      'cache-control': 'private, max-age=3600',
      'x-content-type-options': 'nosniff',
    },
  });
});
