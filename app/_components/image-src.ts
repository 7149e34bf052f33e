// Where a page loads an enrolled image from. Browsers cannot show PGM/PPM and the issue found BMP
// thumbnails broken too, so those come as the API's PNG rendition; the rest as their original bytes.

const RENDERED_FORMATS = new Set(['pgm', 'ppm', 'bmp']);

/** The `src` that shows image `id` of stored `format` in a browser. */
export function imageSrc(image: { id: string; format: string }): string {
  return `/api/images/${image.id}/file${RENDERED_FORMATS.has(image.format) ? '?format=png' : ''}`;
}
