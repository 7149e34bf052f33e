/**
 * Error factories and the pixel-limit check shared by the decoders.
 */
import { InputError } from '@/lib/errors';
import { IMAGE_FORMATS } from './types';

const ACCEPTED = IMAGE_FORMATS.map((f) => f.toUpperCase()).join(', ');

/** `undecodable`: the bytes are corrupt, truncated, empty or not an image at all. */
export function undecodable(what: string, details?: Record<string, unknown>): InputError {
  return new InputError('undecodable', `could not decode image: ${what}`, details);
}

/** `unsupported_type`: the bytes are recognised but this service refuses that type. */
export function unsupportedType(what: string, details?: Record<string, unknown>): InputError {
  return new InputError(
    'unsupported_type',
    `unsupported image type: ${what}; expected one of ${ACCEPTED}; convert the file to PNG or JPEG`,
    details,
  );
}

/** `too_many_pixels`: the header claims more than `maxPixels` pixels. */
export function tooManyPixels(width: number, height: number, maxPixels: number, format: string): InputError {
  const pixels = width * height;
  return new InputError(
    'too_many_pixels',
    `image too large: expected at most ${maxPixels} pixels, got ${width}x${height} = ${pixels} (${format}); downscale it first`,
    { width, height, maxPixels, format },
  );
}

/** Throws `too_many_pixels` when `width * height > maxPixels`; call before allocating pixels. */
export function checkPixelLimit(width: number, height: number, maxPixels: number, format: string): void {
  if (width * height > maxPixels) throw tooManyPixels(width, height, maxPixels, format);
}
