/**
 * `lib/imaging`: the project's only image decoder and the only importer of `sharp`.
 * Every operation is listed here; import from `@/lib/imaging` (or `@/lib/imaging/index`).
 *
 * Workflow 1, upload to model input:
 *   const img = await decodeImage(bytes);                  // InputError: undecodable | unsupported_type | too_many_pixels
 *   const x = await preprocessImage(img, { inputSizePx: 28, channels: 1, invert: true, fit: 'contain' });
 * Workflow 2, face alignment:
 *   const face = await cropImage(img, box, 112, Math.atan2(eyeDy, eyeDx));
 *   const png = await encodePng(face);
 *
 * Accepted (sniffed from bytes): PNG, JPEG, GIF (first frame), WebP, AVIF, PGM/PPM (P2/P3/P5/P6), BMP.
 * Refused with `unsupported_type`: SVG (security), PDF, TIFF, HEIC, PSD, ICO, JPEG XL, JPEG 2000,
 * PBM/PAM (P1/P4/P7), RLE or JPEG/PNG-in-BMP.
 */
export { decodeImage } from './decode';
export { sniffFormat } from './sniff';
export { preprocessImage, PREPROCESS_VERSION } from './preprocess';
export { boxIou, centreInside, cropImage, padImage, pasteImage, resizeImage, shrinkImage, type ResizeSpec } from './geometry';
export { encodePng, svgToPng } from './encode';
export { rgbPixels } from './pixels';
export { DEFAULT_MAX_PIXELS, IMAGE_FORMATS } from './types';
export type { Box, Channels, DecodedImage, ImageFormat, PaddedImage, PreprocessSpec } from './types';
