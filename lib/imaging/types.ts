/**
 * Shared types of `lib/imaging`. Pixels are always 8-bit, row-major HWC.
 */

/** Formats `decodeImage` accepts, as sniffed from the bytes (never from a file name). */
export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'avif' | 'pgm' | 'ppm' | 'bmp';

/** Every accepted format, in the order error messages list them. */
export const IMAGE_FORMATS: readonly ImageFormat[] = ['png', 'jpeg', 'gif', 'webp', 'avif', 'pgm', 'ppm', 'bmp'];

/** Channel counts a decoded image may have: grey, RGB, RGBA. */
export type Channels = 1 | 3 | 4;

/** A decoded, EXIF-oriented 8-bit image. */
export interface DecodedImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 1 = grey, 3 = RGB, 4 = RGBA (alpha kept only when some pixel is not opaque). */
  channels: Channels;
  /** Row-major HWC bytes, length `width * height * channels`. */
  data: Uint8Array;
  /** Format the pixels were decoded from (kept through crops and pads). */
  format: ImageFormat;
}

/** How `preprocessImage` turns a decoded image into model input. */
export interface PreprocessSpec {
  /** Side of the square output in pixels. */
  inputSizePx: number;
  /** Output channels: 1 = grey (luma), 3 = RGB. */
  channels: 1 | 3;
  /** `true` gives ink = 1 for dark-on-white images such as Omniglot (value = 1 - grey). */
  invert: boolean;
  /** `fill` stretches, `contain` letterboxes with `background`, `cover` centre-crops. */
  fit: 'fill' | 'contain' | 'cover';
  /** Grey level 0–255 (before `invert`) for letterbox bars and under transparency; default 255 when `invert`, else 0. */
  background?: number;
}

/** An axis-aligned rectangle in pixel coordinates (x right, y down; may extend past the image). */
export interface Box {
  /** Left edge. */
  x: number;
  /** Top edge. */
  y: number;
  /** Width, > 0. */
  width: number;
  /** Height, > 0. */
  height: number;
}

/** A padded image plus where the original's top-left corner now lies. */
export interface PaddedImage extends DecodedImage {
  /** Columns added on the left (and on the right): `Math.round(fraction * original width)`. */
  offsetX: number;
  /** Rows added on top (and at the bottom): `Math.round(fraction * original height)`. */
  offsetY: number;
}

/** Default `maxPixels` of `decodeImage`: 40 megapixels. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

/** Pixels without a format tag: what the built-in PNM/BMP readers return. */
export type RawPixels = Omit<DecodedImage, 'format'>;
