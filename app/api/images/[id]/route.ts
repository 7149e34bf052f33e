import { imageOps } from '@/lib/http/operations';
import { deleteImage, moveImage } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Move an image to another identity of its collection. */
export const PATCH = route(imageOps.moveImage, async ({ caller, params, body }) => moveImage(caller, params.id, body.identityId));

/** Delete an image; it stops matching at once. */
export const DELETE = route(imageOps.deleteImage, async ({ caller, params }) => deleteImage(caller, params.id));
