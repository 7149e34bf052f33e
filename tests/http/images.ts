// Test images: Omniglot drawings (read-only shared zip) and hand-made bad files.
import { readFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { readOmniglotEntries, type OmniglotEntry } from '@/lib/datasets/omniglot';
import { OMNIGLOT_ZIP } from '../service/harness';

/** Omniglot drawings of some alphabets. */
export function omniglot(alphabets: readonly string[]): OmniglotEntry[] {
  return readOmniglotEntries(new Uint8Array(readFileSync(OMNIGLOT_ZIP)), alphabets);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A PNG whose header claims `width` x `height` grey pixels but whose data holds one row: a
 * decoder that checks the pixel limit from the header refuses it without allocating 400 MB.
 */
export function hugePngHeader(width: number, height: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const row = deflateSync(Buffer.alloc(width + 1));
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', row), chunk('IEND', Buffer.alloc(0))]));
}

/** A JPEG of a drawing cut to its first half (header intact, scan data missing). */
export async function truncatedJpeg(png: Uint8Array): Promise<Uint8Array> {
  const jpeg = await sharp(png).jpeg({ quality: 90 }).toBuffer();
  return new Uint8Array(jpeg.subarray(0, Math.floor(jpeg.length / 2)));
}

/** Seeded bytes that are no image format. */
export function garbage(n: number, seed: number): Uint8Array {
  let a = seed >>> 0;
  return Uint8Array.from({ length: n }, () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a >>> 24;
  });
}

/** A multipart form with `field` holding the files. */
export function form(field: string, files: { name: string; bytes: Uint8Array; type?: string }[]): FormData {
  const fd = new FormData();
  for (const f of files) fd.append(field, new File([new Uint8Array(f.bytes)], f.name, { type: f.type ?? 'application/octet-stream' }));
  return fd;
}
