/**
 * BMP reader: 1/4/8-bit palette, 16/24/32-bit, bottom-up and top-down, BI_RGB and BI_BITFIELDS
 * (plus BI_ALPHABITFIELDS). RLE and embedded JPEG/PNG are refused. sharp 0.35 has no BMP loader.
 */
import { checkPixelLimit, undecodable, unsupportedType } from './limits';
import type { RawPixels } from './types';

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;
const INFO_HEADER_SIZES = new Set([40, 52, 56, 108, 124]);

interface BmpHeader {
  width: number;
  height: number;
  topDown: boolean;
  bpp: number;
  compression: number;
  dataOffset: number;
  /** Palette location and entry size (4 bytes BGRx, 3 bytes BGR in the OS/2 1.x core header). */
  paletteStart: number;
  paletteCount: number;
  paletteEntryBytes: 3 | 4;
  /** r, g, b, a masks; a = 0 means no alpha. */
  masks: [number, number, number, number];
}

function readHeader(view: DataView, maxPixels: number): BmpHeader {
  const len = view.byteLength;
  if (len < 26) throw undecodable(`BMP truncated: expected at least 26 header bytes, got ${len}`);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  let width: number;
  let rawHeight: number;
  let planes: number;
  let bpp: number;
  let compression = BI_RGB;
  let colorsUsed = 0;
  let paletteEntryBytes: 3 | 4 = 4;
  if (headerSize === 12) {
    width = view.getUint16(18, true);
    rawHeight = view.getUint16(20, true);
    planes = view.getUint16(22, true);
    bpp = view.getUint16(24, true);
    paletteEntryBytes = 3;
  } else if (INFO_HEADER_SIZES.has(headerSize)) {
    if (len < 14 + headerSize) throw undecodable(`BMP truncated: expected a ${headerSize}-byte info header, got ${len - 14} bytes`);
    width = view.getInt32(18, true);
    rawHeight = view.getInt32(22, true);
    planes = view.getUint16(26, true);
    bpp = view.getUint16(28, true);
    compression = view.getUint32(30, true);
    colorsUsed = view.getUint32(46, true);
  } else {
    throw unsupportedType(`BMP with a ${headerSize}-byte DIB header (OS/2 2.x or unknown)`);
  }
  if (compression === 1 || compression === 2) throw unsupportedType('RLE-compressed BMP');
  if (compression === 4 || compression === 5) throw unsupportedType('BMP wrapping JPEG/PNG data');
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    throw unsupportedType(`BMP compression ${compression}`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw unsupportedType(`${bpp}-bit BMP`);
  if (compression !== BI_RGB && bpp !== 16 && bpp !== 32) {
    throw undecodable(`BMP: bitfields need 16 or 32 bits per pixel, got ${bpp}`);
  }
  if (planes !== 1) throw undecodable(`BMP: expected 1 colour plane, got ${planes}`);
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) throw undecodable(`BMP: expected positive dimensions, got ${width}x${rawHeight}`);
  checkPixelLimit(width, height, maxPixels, 'bmp');

  let masks: [number, number, number, number];
  let paletteStart = 14 + headerSize;
  if (compression === BI_RGB) {
    masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0xff0000, 0x00ff00, 0x0000ff, 0];
  } else {
    // Masks follow a 40-byte header; larger headers hold them at the same offset.
    const count = compression === BI_ALPHABITFIELDS || headerSize >= 56 ? 4 : 3;
    if (len < 54 + count * 4) throw undecodable('BMP truncated inside the colour masks');
    const m = (i: number) => (i < count ? view.getUint32(54 + i * 4, true) : 0);
    masks = [m(0), m(1), m(2), m(3)];
    if (headerSize === 40) paletteStart += count * 4;
  }
  const paletteCount = bpp <= 8 ? (colorsUsed > 0 && colorsUsed <= 1 << bpp ? colorsUsed : 1 << bpp) : 0;
  return {
    width, height, topDown: rawHeight < 0, bpp, compression, dataOffset,
    paletteStart, paletteCount, paletteEntryBytes, masks,
  };
}

/** Decodes palette images into grey (when every used entry is grey) or RGB. */
function decodePalette(bytes: Uint8Array, h: BmpHeader, rowAt: (y: number) => number): RawPixels {
  const { width, height, bpp } = h;
  const available = Math.floor((bytes.length - h.paletteStart) / h.paletteEntryBytes);
  if (available < 1) throw undecodable('BMP truncated: palette missing');
  const nColors = Math.min(h.paletteCount, available);
  const idx = new Uint8Array(width * height);
  const used = new Uint8Array(256);
  for (let y = 0; y < height; y++) {
    const row = rowAt(y);
    for (let x = 0; x < width; x++) {
      let v: number;
      if (bpp === 8) v = bytes[row + x];
      else if (bpp === 4) v = (bytes[row + (x >> 1)] >> ((x & 1) === 0 ? 4 : 0)) & 0x0f;
      else v = (bytes[row + (x >> 3)] >> (7 - (x & 7))) & 1;
      if (v >= nColors) throw undecodable(`BMP: pixel (${x}, ${y}) uses palette index ${v}, palette has ${nColors} entries`);
      idx[y * width + x] = v;
      used[v] = 1;
    }
  }
  const rgb = new Uint8Array(nColors * 3);
  let grey = true;
  for (let i = 0; i < nColors; i++) {
    const p = h.paletteStart + i * h.paletteEntryBytes;
    rgb[i * 3] = bytes[p + 2];
    rgb[i * 3 + 1] = bytes[p + 1];
    rgb[i * 3 + 2] = bytes[p];
    if (used[i] && (bytes[p] !== bytes[p + 1] || bytes[p] !== bytes[p + 2])) grey = false;
  }
  if (grey) {
    const data = new Uint8Array(width * height);
    for (let i = 0; i < data.length; i++) data[i] = rgb[idx[i] * 3];
    return { width, height, channels: 1, data };
  }
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < idx.length; i++) {
    data[i * 3] = rgb[idx[i] * 3];
    data[i * 3 + 1] = rgb[idx[i] * 3 + 1];
    data[i * 3 + 2] = rgb[idx[i] * 3 + 2];
  }
  return { width, height, channels: 3, data };
}

/** Shift and 8-bit scale for one colour mask. */
function maskChannel(mask: number): { mask: number; shift: number; max: number } {
  if (mask === 0) return { mask: 0, shift: 0, max: 1 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const max = mask >>> shift;
  if ((max & (max + 1)) !== 0) throw undecodable(`BMP: colour mask 0x${(mask >>> 0).toString(16)} is not contiguous`);
  return { mask, shift, max };
}

/** Decodes 16/24/32-bit pixels to RGB, or RGBA when an alpha mask carries real transparency. */
function decodeDirect(bytes: Uint8Array, view: DataView, h: BmpHeader, rowAt: (y: number) => number): RawPixels {
  const { width, height, bpp } = h;
  const [r, g, b, a] = h.masks.map(maskChannel);
  const rgba = new Uint8Array(width * height * 4);
  let anyAlpha = false;
  let anyTranslucent = false;
  const scale = (px: number, c: { mask: number; shift: number; max: number }) =>
    Math.round((((px & c.mask) >>> c.shift) * 255) / c.max);
  for (let y = 0; y < height; y++) {
    const row = rowAt(y);
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (bpp === 24) {
        const p = row + x * 3;
        rgba[o] = bytes[p + 2];
        rgba[o + 1] = bytes[p + 1];
        rgba[o + 2] = bytes[p];
        rgba[o + 3] = 255;
        continue;
      }
      const px = bpp === 16 ? view.getUint16(row + x * 2, true) : view.getUint32(row + x * 4, true);
      rgba[o] = scale(px, r);
      rgba[o + 1] = scale(px, g);
      rgba[o + 2] = scale(px, b);
      const alpha = a.mask === 0 ? 255 : scale(px, a);
      rgba[o + 3] = alpha;
      if (alpha !== 0) anyAlpha = true;
      if (alpha !== 255) anyTranslucent = true;
    }
  }
  // Many writers leave the alpha bytes at 0: an all-zero alpha means "no alpha", not "invisible".
  if (anyAlpha && anyTranslucent) return { width, height, channels: 4, data: rgba };
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    data[j] = rgba[i];
    data[j + 1] = rgba[i + 1];
    data[j + 2] = rgba[i + 2];
  }
  return { width, height, channels: 3, data };
}

/** Decodes a BMP file; checks `maxPixels` from the header before allocating. */
export function decodeBmp(bytes: Uint8Array, maxPixels: number): RawPixels {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = readHeader(view, maxPixels);
  const stride = Math.floor((h.bpp * h.width + 31) / 32) * 4;
  const need = stride * h.height;
  const got = bytes.length - h.dataOffset;
  if (h.dataOffset < 26 || got < need) {
    throw undecodable(`BMP truncated: expected ${need} bytes of pixels at offset ${h.dataOffset}, got ${Math.max(0, got)}`);
  }
  const rowAt = (y: number) => h.dataOffset + (h.topDown ? y : h.height - 1 - y) * stride;
  return h.bpp <= 8 ? decodePalette(bytes, h, rowAt) : decodeDirect(bytes, view, h, rowAt);
}
