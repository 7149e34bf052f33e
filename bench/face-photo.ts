/**
 * Face inputs of the benchmarks: CFP photos (tight crops, one person each) and a 640x480 photo of
 * one face composed from one of them, for face search over HTTP (issue 20, item 7).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cropImage, decodeImage, encodePng, padImage } from '@/lib/imaging';
import { ROOT } from './common';

/** Width and height of the composed photo, and the face's side in it (about a passport-photo share). */
const PHOTO = { width: 640, height: 480, facePx: 240 } as const;
/** Mid grey: a plain background with no texture the detector could take for a face. */
const BACKGROUND = 128;

/** CFP photos, one per person, as zip paths `<person>/<file>` (the first frontal photo of each). */
export function cfpFiles(people: number): [string, Uint8Array][] {
  const dir = path.join(ROOT, '../shared/data/cfp-faces/images');
  return readdirSync(dir).sort().slice(0, people).map((name) => {
    const file = readdirSync(path.join(dir, name)).sort().find((f) => f.startsWith('frontal'))!;
    return [`${name}/${file}`, new Uint8Array(readFileSync(path.join(dir, name, file)))];
  });
}

/**
 * A 640x480 PNG of one face: the CFP crop `bytes` squared (centred, grey margins), scaled to 240 px
 * and centred on a plain grey canvas, so the detector sees the whole head with room around it.
 */
export async function onePersonPhoto(bytes: Uint8Array): Promise<Uint8Array> {
  const img = await decodeImage(bytes);
  const side = Math.max(img.width, img.height);
  const face = await cropImage(img, { x: (img.width - side) / 2, y: (img.height - side) / 2, width: side, height: side }, PHOTO.facePx, 0, BACKGROUND);
  // Margins per axis: (640 - 240) / 2 = 200 px = 0.8333 x 240 left and right; (480 - 240) / 2 = 120 px = 0.5 x 240 top and bottom.
  const photo = padImage(face, { x: (PHOTO.width - PHOTO.facePx) / 2 / PHOTO.facePx, y: (PHOTO.height - PHOTO.facePx) / 2 / PHOTO.facePx }, BACKGROUND);
  if (photo.width !== PHOTO.width || photo.height !== PHOTO.height) throw new Error(`composed photo is ${photo.width}x${photo.height}, expected ${PHOTO.width}x${PHOTO.height}`);
  return new Uint8Array(await encodePng(photo));
}
