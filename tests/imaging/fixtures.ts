/**
 * Test-time image builders for `tests/imaging`: nothing here is stored in the repo.
 * BMP/PNM writers are ours (sharp writes neither); PNG/JPEG/GIF/WebP/AVIF come from sharp.
 */
import { readFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import sharp from 'sharp';
import { createUniform } from '@/lib/evaluation/random';
import { OMNIGLOT_SMALL_ZIP, ORL_ZIP } from '../helpers/data';

export { OMNIGLOT_SMALL_ZIP, ORL_ZIP };

/** Seeded PRNG (mulberry32) returning floats in [0, 1). */
export const mulberry32 = createUniform;

/** `n` seeded random bytes. */
export function randomBytes(n: number, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
}

/** A small RGB test pattern with distinct, deterministic pixels: HWC, 3 channels. */
export function rgbPattern(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = (x * 37 + 11) % 256;
      data[o + 1] = (y * 53 + 7) % 256;
      data[o + 2] = (x * y * 13 + 101) % 256;
    }
  }
  return data;
}

/** Raw pixels encoded by sharp (`b-w` keeps 1-channel input grey in the file). */
export async function encodeWithSharp(
  data: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  format: 'png' | 'jpeg' | 'gif' | 'webp' | 'avif' | 'tiff',
): Promise<Buffer> {
  let pipeline = sharp(Buffer.from(data), { raw: { width, height, channels } });
  if (channels <= 2) pipeline = pipeline.toColourspace('b-w');
  if (format === 'webp') return pipeline.webp({ lossless: true }).toBuffer();
  if (format === 'avif') return pipeline.avif({ lossless: true }).toBuffer();
  if (format === 'jpeg') return pipeline.jpeg({ quality: 95 }).toBuffer();
  return pipeline.toFormat(format).toBuffer();
}

/** A Netpbm file; `samples` are written as 1 or 2 bytes (binary) or decimal text (plain). */
export function makePnm(opts: {
  magic: 'P2' | 'P3' | 'P5' | 'P6';
  width: number;
  height: number;
  maxval: number;
  samples: ArrayLike<number>;
  comment?: string;
}): Uint8Array {
  const comment = opts.comment ? `# ${opts.comment}\n` : '';
  const header = `${opts.magic}\n${comment}${opts.width} ${opts.height}\n${opts.maxval}\n`;
  const samples = Array.from(opts.samples);
  if (opts.magic === 'P2' || opts.magic === 'P3') {
    return new TextEncoder().encode(header + samples.join(' ') + '\n');
  }
  const wide = opts.maxval > 255;
  const body = new Uint8Array(samples.length * (wide ? 2 : 1));
  samples.forEach((v, i) => {
    if (wide) {
      body[i * 2] = v >> 8;
      body[i * 2 + 1] = v & 0xff;
    } else {
      body[i] = v;
    }
  });
  return concat(new TextEncoder().encode(header), body);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Options of `makeBmp`: `rows` are already-packed pixel bytes per image row, top row first. */
export interface BmpSpec {
  width: number;
  height: number;
  bpp: 1 | 4 | 8 | 16 | 24 | 32;
  rows: Uint8Array[];
  topDown?: boolean;
  /** BGRx entries as [r, g, b]. */
  palette?: Array<[number, number, number]>;
  /** BI_RGB = 0, BI_RLE8 = 1, BI_BITFIELDS = 3. */
  compression?: number;
  /** r, g, b, a masks for BI_BITFIELDS (a written only with a 108-byte V4 header). */
  masks?: [number, number, number, number?];
  headerSize?: 40 | 108;
  /** Override the declared height, e.g. to claim a huge image. */
  declaredHeight?: number;
  declaredWidth?: number;
}

/** A Windows BMP with a 40-byte (or V4 108-byte) header, rows padded to 4 bytes. */
export function makeBmp(spec: BmpSpec): Uint8Array {
  const headerSize = spec.headerSize ?? 40;
  const compression = spec.compression ?? 0;
  const stride = Math.floor((spec.bpp * spec.width + 31) / 32) * 4;
  const palette = spec.palette ?? [];
  const maskBytes = compression === 3 && headerSize === 40 ? 12 : 0;
  const dataOffset = 14 + headerSize + maskBytes + palette.length * 4;
  const size = dataOffset + stride * spec.height;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 0x42;
  out[1] = 0x4d;
  view.setUint32(2, size, true);
  view.setUint32(10, dataOffset, true);
  view.setUint32(14, headerSize, true);
  view.setInt32(18, spec.declaredWidth ?? spec.width, true);
  const height = spec.declaredHeight ?? spec.height;
  view.setInt32(22, spec.topDown ? -height : height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, spec.bpp, true);
  view.setUint32(30, compression, true);
  view.setUint32(34, stride * spec.height, true);
  view.setUint32(46, palette.length, true);
  if (spec.masks) {
    const count = headerSize === 108 ? 4 : 3;
    for (let i = 0; i < count; i++) view.setUint32(54 + i * 4, spec.masks[i] ?? 0, true);
  }
  palette.forEach(([r, g, b], i) => out.set([b, g, r, 0], 14 + headerSize + maskBytes + i * 4));
  spec.rows.forEach((row, y) => {
    const fileRow = spec.topDown ? y : spec.height - 1 - y;
    out.set(row, dataOffset + fileRow * stride);
  });
  return out;
}

/**
 * A valid 1-bit grey PNG of `width` x `height` white pixels, built with zlib (sharp would take ~10 s
 * to encode 20000x20000; this takes ~0.2 s and the file is ~50 KB).
 */
export function makeHugePng(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const typed = concat(new TextEncoder().encode(type), data);
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(typed, 4);
    view.setUint32(8 + data.length, crc32(typed));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, grey, deflate, no filter, no interlace
  const rowBytes = 1 + Math.ceil(width / 8);
  const raster = new Uint8Array(rowBytes * height).fill(0xff);
  for (let y = 0; y < height; y++) raster[y * rowBytes] = 0; // filter type 0
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return concat(signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raster, { level: 1 })), chunk('IEND', new Uint8Array()));
}

/** Entries of a zip whose names pass `keep` (read with fflate, never copied into the repo). */
export function readZipEntries(zipPath: string, keep: (name: string) => boolean): Record<string, Uint8Array> {
  return unzipSync(readFileSync(zipPath), { filter: (file) => keep(file.name) });
}

/** The real ORL face `att_faces/s1/1.pgm` (92x112, P5, maxval 255). */
export function readOrlFace(): Uint8Array {
  const entries = readZipEntries(ORL_ZIP, (name) => name === 'att_faces/s1/1.pgm');
  const bytes = entries['att_faces/s1/1.pgm'];
  if (!bytes) throw new Error(`att_faces/s1/1.pgm missing from ${ORL_ZIP}`);
  return bytes;
}
