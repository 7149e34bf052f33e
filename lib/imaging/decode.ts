/**
 * `decodeImage`: sniff the format, decode fully, honour EXIF orientation, enforce the pixel limit.
 * PNG/JPEG/GIF/WebP/AVIF go through sharp; PGM/PPM and BMP through our own readers (sharp 0.35 reads neither),
 * and so do small greyscale PNGs (png.ts: no sharp round trip for them).
 */
import sharp, { type Metadata } from 'sharp';
import { assert } from '@/lib/errors';
import { decodeBmp } from './bmp';
import { checkPixelLimit, tooManyPixels, undecodable, unsupportedType } from './limits';
import { dropOpaqueAlpha, toRawPixels } from './pixels';
import { decodeSmallPng } from './png';
import { decodePnm } from './pnm';
import { sniff } from './sniff';
import { DEFAULT_MAX_PIXELS, IMAGE_FORMATS, type DecodedImage, type ImageFormat, type RawPixels } from './types';

/** sharp's `metadata().format` name for each format we hand to sharp. */
const SHARP_FORMAT: Partial<Record<ImageFormat, string>> = {
  png: 'png', jpeg: 'jpeg', gif: 'gif', webp: 'webp', avif: 'heif',
};

function hexPrefix(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** First line of a libvips message (they repeat the same line several times). */
function vipsReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0].trim();
}

async function decodeWithSharp(bytes: Uint8Array, format: ImageFormat, maxPixels: number): Promise<RawPixels> {
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const name = format.toUpperCase();
  // The header read is unlimited on purpose: we check the limit ourselves to give a typed error.
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false, pages: 1 }).metadata();
  } catch (err) {
    throw undecodable(`${name} header is corrupt (${vipsReason(err)})`, { format });
  }
  if (meta.format !== SHARP_FORMAT[format]) {
    throw undecodable(`bytes look like ${name} but the decoder found ${meta.format ?? 'nothing'}`, { format });
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  checkPixelLimit(width, height, maxPixels, format);

  const greySource = meta.space === 'b-w' || meta.space === 'grey16';
  // `b-w` would drop alpha, so grey-with-alpha goes through sRGB and is collapsed below.
  const space = greySource && !meta.hasAlpha ? 'b-w' : 'srgb';
  // metadata() accepts a truncated JPEG; only a full decode with failOn 'error' catches it.
  const pipeline = sharp(input, { failOn: 'error', limitInputPixels: maxPixels, pages: 1 })
    .autoOrient()
    .toColourspace(space);
  let raw: RawPixels;
  try {
    raw = await toRawPixels(pipeline);
  } catch (err) {
    const reason = vipsReason(err);
    if (/pixel limit/i.test(reason)) throw tooManyPixels(width, height, maxPixels, format);
    throw undecodable(`${name} data is corrupt or truncated (${reason})`, { format });
  }
  const opaque = dropOpaqueAlpha(raw);
  return greySource && opaque.channels === 3 ? firstChannel(opaque) : opaque;
}

/** Grey stored as RGB (R = G = B) back to one channel. */
function firstChannel(img: RawPixels): RawPixels {
  const data = new Uint8Array(img.width * img.height);
  for (let i = 0; i < data.length; i++) data[i] = img.data[i * img.channels];
  return { width: img.width, height: img.height, channels: 1, data };
}

/**
 * Decodes image bytes into 8-bit HWC pixels, EXIF-oriented, grey kept as 1 channel.
 * Throws `InputError` with code `undecodable` (empty, garbage, corrupt, truncated),
 * `unsupported_type` (recognised but refused: SVG, PDF, TIFF, HEIC, PSD, ICO, JPEG XL/2000, P1/P4/P7, RLE BMP)
 * or `too_many_pixels` (over `maxPixels`, checked from the header before pixels are allocated).
 */
export async function decodeImage(bytes: Uint8Array, opts: { maxPixels?: number } = {}): Promise<DecodedImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  assert(Number.isInteger(maxPixels) && maxPixels > 0, `maxPixels must be a positive integer, got ${maxPixels}`);
  const expected = IMAGE_FORMATS.map((f) => f.toUpperCase()).join(', ');
  if (bytes.length === 0) throw undecodable(`expected ${expected} bytes, got an empty file (0 bytes)`);
  const sniffed = sniff(bytes);
  if (sniffed.kind === 'refused') throw unsupportedType(`${sniffed.type} (${sniffed.reason})`, { type: sniffed.type });
  if (sniffed.kind === 'unknown') {
    throw undecodable(`expected ${expected}, got ${bytes.length} bytes of unknown type starting ${hexPrefix(bytes)}`);
  }
  const { format } = sniffed;
  let raw: RawPixels;
  if (format === 'pgm' || format === 'ppm') raw = decodePnm(bytes, maxPixels);
  else if (format === 'bmp') raw = decodeBmp(bytes, maxPixels);
  else raw = (format === 'png' ? decodeSmallPng(bytes, maxPixels) : null) ?? (await decodeWithSharp(bytes, format, maxPixels));
  return { width: raw.width, height: raw.height, channels: raw.channels, data: raw.data, format };
}
