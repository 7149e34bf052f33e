import { imageOps } from '@/lib/http/operations';
import { enrollRejectedError } from '@/lib/http/problem';
import { enrollImages, listImages } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Enroll images: 201 when at least one was enrolled, else 422 carrying `rejected`. */
export const POST = route(imageOps.enrollImages, async ({ caller, params, body }) => {
  const result = await enrollImages(caller, params.id, body.files);
  if (result.enrolled.length === 0) throw enrollRejectedError(result.rejected);
  return result;
});

/** List an identity's images. */
export const GET = route(imageOps.listImages, async ({ caller, params, query }) => listImages(caller, params.id, query));
