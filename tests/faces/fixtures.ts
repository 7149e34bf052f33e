/** Real photos for the face tests: skimage's astronaut (public domain) and ORL read from its zip. */
import { readFile } from 'node:fs/promises';
import { cropImage, decodeImage, pasteImage, type DecodedImage } from '@/lib/imaging';
import { listFolderImages, type FolderImage } from '@/lib/datasets/folder';
import { initTf } from '@/lib/embedder/backend';

/** Debian python3-skimage's astronaut.png (Eileen Collins, NASA; public domain), 512x512 RGB. */
export const ASTRONAUT_PATH = '/usr/lib/python3/dist-packages/skimage/data/astronaut.png';
/** ORL / AT&T faces: 40 folders s1..s40 of 10 PGM (92x112); read in place, never copied. */
import { TEST_BACKEND } from '../helpers/backend';
import { ORL_ZIP } from '../helpers/data';

export { ORL_ZIP };

export { TEST_BACKEND };

/** Initialises TF.js on the test backend. */
export async function initTestTf(): Promise<void> {
  await initTf(TEST_BACKEND);
}

/** The decoded astronaut photo. */
export async function astronaut(): Promise<DecodedImage> {
  return decodeImage(new Uint8Array(await readFile(ASTRONAUT_PATH)));
}

/** ORL images of the given identities ("att_faces/s1" ...), in folder order. */
export async function orlImages(identities: readonly string[]): Promise<FolderImage[]> {
  const all = await listFolderImages(ORL_ZIP);
  return all.filter((f) => identities.includes(f.identity));
}

/** `img` scaled to `sizePx` square (box filter + bilinear, via lib/imaging). */
export async function scaled(img: DecodedImage, sizePx: number): Promise<DecodedImage> {
  return cropImage(img, { x: 0, y: 0, width: img.width, height: img.height }, sizePx);
}

/** Places `left` and `right` side by side on a mid-grey canvas (tops aligned). */
export function sideBySide(left: DecodedImage, right: DecodedImage): DecodedImage {
  const ch = left.channels;
  if (right.channels !== ch) throw new Error('channel counts differ');
  const width = left.width + right.width;
  const height = Math.max(left.height, right.height);
  const canvas: DecodedImage = { width, height, channels: ch, data: new Uint8Array(width * height * ch).fill(128), format: 'png' };
  pasteImage(canvas, left, 0, 0);
  pasteImage(canvas, right, left.width, 0);
  return canvas;
}

/** A seeded uniform-noise RGB image. */
export function noiseImage(width: number, height: number, seed: number): DecodedImage {
  let s = seed;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) {
    s = (s * 16807) % 2147483647;
    data[i] = s % 256;
  }
  return { width, height, channels: 3, data, format: 'png' };
}
