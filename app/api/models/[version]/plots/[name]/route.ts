import { modelOps } from '@/lib/http/operations';
import { getModelPlot } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** A training plot (PNG) of a model version (admin). */
export const GET = route(modelOps.getModelPlot, async ({ caller, params }) => {
  const png = await getModelPlot(caller, params.version, params.name);
  return new Response(new Uint8Array(png), { status: 200, headers: { 'content-type': 'image/png', 'content-length': String(png.byteLength), 'cache-control': 'private, max-age=3600' } });
});
