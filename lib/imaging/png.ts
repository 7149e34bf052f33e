/**
 * A small-PNG fast path (issue 20: decode small images without a full pipeline). Greyscale,
 * 1- or 8-bit, non-interlaced PNGs of at most `SMALL_PNG_BYTES` with no chunk that could change
 * the pixels (transparency, colour profile, orientation) decode here in a few tens of
 * microseconds: chunk CRCs checked, zlib inflate, scanline unfiltering (PNG spec section 9).
 * Anything else, or anything malformed, returns null and goes through sharp, which gives the
 * typed errors. tests/imaging/png.test.ts pins equality with sharp's pixels.
 */
import { crc32, inflateSync } from 'node:zlib';
import { checkPixelLimit } from './limits';
import type { RawPixels } from './types';

/** Largest file the fast path reads (larger files gain little over sharp). */
const SMALL_PNG_BYTES = 256 * 1024;

/** Chunks that do not change decoded pixels; any other chunk sends the file to sharp. */
const NEUTRAL_CHUNKS = new Set(['IHDR', 'IDAT', 'IEND', 'tEXt', 'zTXt', 'iTXt', 'pHYs', 'tIME']);

/** Paeth predictor (PNG spec 9.4): the neighbour of a, b, c closest to a + b - c. */
function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Reverses the per-scanline filters in place; false on an unknown filter type. */
function unfilter(data: Uint8Array, rowBytes: number, height: number): boolean {
  // Filters work on bytes, with the byte one pixel to the left: 1 byte back for 1- and 8-bit grey.
  for (let y = 0; y < height; y++) {
    const row = y * (rowBytes + 1);
    const prev = row - rowBytes - 1;
    const type = data[row];
    for (let i = 1; i <= rowBytes; i++) {
      const a = i > 1 ? data[row + i - 1] : 0;
      const b = y > 0 ? data[prev + i] : 0;
      const c = y > 0 && i > 1 ? data[prev + i - 1] : 0;
      const x = data[row + i];
      if (type === 0) continue;
      else if (type === 1) data[row + i] = x + a;
      else if (type === 2) data[row + i] = x + b;
      else if (type === 3) data[row + i] = x + ((a + b) >> 1);
      else if (type === 4) data[row + i] = x + paeth(a, b, c);
      else return false;
    }
  }
  return true;
}

/**
 * Decodes a small greyscale PNG into 1-channel 8-bit pixels (1-bit samples become 0 or 255), or
 * null when the file is outside the fast path. Throws `too_many_pixels` from the header like sharp's path.
 */
export function decodeSmallPng(bytes: Uint8Array, maxPixels: number): RawPixels | null {
  if (bytes.length > SMALL_PNG_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  let header: { width: number; height: number; depth: number } | null = null;
  let at = 8; // after the signature
  for (;;) {
    if (at + 12 > bytes.length) return null;
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const end = at + 8 + length;
    if (end + 4 > bytes.length || !NEUTRAL_CHUNKS.has(type)) return null;
    if (crc32(bytes.subarray(at + 4, end)) !== view.getUint32(end)) return null;
    const data = bytes.subarray(at + 8, end);
    if (type === 'IHDR') {
      // width, height, bit depth, colour type (0 = grey), compression, filter, interlace.
      if (length !== 13 || data[9] !== 0 || data[10] !== 0 || data[11] !== 0 || data[12] !== 0 || (data[8] !== 1 && data[8] !== 8)) return null;
      header = { width: view.getUint32(at + 8), height: view.getUint32(at + 12), depth: data[8] };
      if (header.width === 0 || header.height === 0) return null;
      checkPixelLimit(header.width, header.height, maxPixels, 'png');
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at = end + 4;
  }
  if (!header || idat.length === 0) return null;
  const { width, height, depth } = header;
  const rowBytes = Math.ceil((width * depth) / 8);
  let filtered: Uint8Array;
  try {
    filtered = new Uint8Array(inflateSync(Buffer.concat(idat)));
  } catch {
    return null;
  }
  if (filtered.length !== height * (rowBytes + 1) || !unfilter(filtered, rowBytes, height)) return null;
  const out = new Uint8Array(width * height); // [height, width, 1]
  for (let y = 0; y < height; y++) {
    const row = y * (rowBytes + 1) + 1;
    if (depth === 8) out.set(filtered.subarray(row, row + width), y * width);
    else for (let x = 0; x < width; x++) out[y * width + x] = (filtered[row + (x >> 3)] >> (7 - (x & 7))) & 1 ? 255 : 0;
  }
  return { width, height, channels: 1, data: out };
}
