/**
 * PNG renditions for display: browsers cannot show PGM/PPM (and Chromium refuses some BMP), so the
 * pages show enrolled images and the search query through a PNG of the decoded pixels.
 */
import { encodePng } from '@/lib/imaging';
import { decodeUpload } from './runtime/embed-input';

/** Decodes any accepted image (InputError as for an upload) and encodes its pixels as PNG. */
export async function renderPng(bytes: Uint8Array): Promise<Buffer> {
  return encodePng(await decodeUpload(bytes));
}
