/**
 * Helpers for moving `DecodedImage` pixels in and out of sharp, and into networks' RGB inputs.
 */
import sharp, { type Sharp } from 'sharp';
import { assert } from '@/lib/errors';
import type { DecodedImage, RawPixels } from './types';

/** Asserts that `img` is a well-formed 8-bit HWC image (a bug if not: images come from `decodeImage`). */
export function assertImage(img: RawPixels): void {
  assert(
    Number.isInteger(img.width) && img.width > 0 && Number.isInteger(img.height) && img.height > 0,
    `image dimensions must be positive integers, got ${img.width}x${img.height}`,
  );
  assert([1, 3, 4].includes(img.channels), `image channels must be 1, 3 or 4, got ${img.channels}`);
  const expected = img.width * img.height * img.channels;
  assert(img.data.length === expected, `image data must hold ${expected} bytes, got ${img.data.length}`);
}

/** RGB pixels of `img` (grey replicated, alpha dropped) as int32, [height, width, 3]: the input face-api's landmark and recognition nets read. */
export function rgbPixels(img: RawPixels): Int32Array {
  const n = img.width * img.height;
  const out = new Int32Array(n * 3);
  const ch = img.channels;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = img.data[i * ch + (ch === 1 ? 0 : c)];
  }
  return out;
}

/** A sharp pipeline reading `img` as raw 8-bit pixels (no copy). */
export function sharpFromImage(img: DecodedImage): Sharp {
  assertImage(img);
  const input = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return sharp(input, { raw: { width: img.width, height: img.height, channels: img.channels } });
}

/** Runs `pipeline` to raw 8-bit pixels, returning the bytes and their shape. */
export async function toRawPixels(pipeline: Sharp): Promise<RawPixels> {
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  assert([1, 3, 4].includes(info.channels), `sharp returned ${info.channels} channels, expected 1, 3 or 4`);
  const expected = info.width * info.height * info.channels;
  assert(data.length === expected, `sharp returned ${data.length} bytes, expected ${expected} 8-bit samples`);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { width: info.width, height: info.height, channels: info.channels as 1 | 3 | 4, data: bytes };
}

/** Drops an alpha channel that is 255 everywhere, so opaque images stay 1 or 3 channels. */
export function dropOpaqueAlpha(img: RawPixels): RawPixels {
  if (img.channels !== 4) return img;
  const src = img.data;
  for (let i = 3; i < src.length; i += 4) if (src[i] !== 255) return img;
  const data = new Uint8Array(img.width * img.height * 3);
  for (let i = 0, j = 0; i < src.length; i += 4, j += 3) {
    data[j] = src[i];
    data[j + 1] = src[i + 1];
    data[j + 2] = src[i + 2];
  }
  return { width: img.width, height: img.height, channels: 3, data };
}
