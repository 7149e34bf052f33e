import { imageOps } from '@/lib/http/operations';
import { renderPng } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** A PNG of an uploaded image's pixels, for showing a query the browser cannot decode (PGM, BMP). */
export const POST = route(imageOps.renderImage, async ({ body }) => {
  const png = await renderPng(body.image.bytes);
  return new Response(new Uint8Array(png), {
    status: 200,
    headers: { 'content-type': 'image/png', 'content-length': String(png.byteLength), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
  });
});
