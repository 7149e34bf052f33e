// The small-PNG fast path (issue 20) decodes exactly what sharp decodes, and leaves to sharp what
// it does not read (colour, transparency, 16-bit, large files).
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '@/lib/imaging';
import { decodeSmallPng } from '@/lib/imaging/png';
import { encodeWithSharp, OMNIGLOT_SMALL_ZIP, randomBytes, readZipEntries, rgbPattern } from './fixtures';

async function sharpGrey(bytes: Uint8Array): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(Buffer.from(bytes)).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

describe('small PNG fast path', () => {
  it('equals sharp on 1-bit Omniglot drawings', async () => {
    const entries = Object.values(readZipEntries(OMNIGLOT_SMALL_ZIP, (name) => name.endsWith('.png'))).slice(0, 60);
    expect(entries.length).toBe(60);
    for (const bytes of entries) {
      const fast = decodeSmallPng(bytes, 1e8);
      expect(fast).not.toBeNull();
      const ref = await sharpGrey(bytes);
      expect({ width: fast!.width, height: fast!.height, channels: fast!.channels }).toEqual({ width: ref.width, height: ref.height, channels: 1 });
      expect(Buffer.from(fast!.data).equals(Buffer.from(ref.data))).toBe(true);
    }
  });

  it('equals sharp on 8-bit grey noise and gradients (every scanline filter)', async () => {
    for (const [w, h, seed] of [[37, 23, 1], [64, 64, 2], [5, 300, 3]]) {
      const noise = randomBytes(w * h, seed);
      const gradient = Uint8Array.from({ length: w * h }, (_, i) => (i % w) * 3 + Math.floor(i / w));
      for (const pixels of [noise, gradient]) {
        const png = new Uint8Array(await encodeWithSharp(pixels, w, h, 1, 'png'));
        const fast = decodeSmallPng(png, 1e8);
        expect(fast).not.toBeNull();
        expect(Buffer.from(fast!.data).equals(Buffer.from(pixels))).toBe(true);
        expect((await decodeImage(png)).data).toEqual(fast!.data);
      }
    }
  });

  it('leaves colour and grey with alpha to sharp', async () => {
    const rgb = new Uint8Array(await encodeWithSharp(rgbPattern(16, 16), 16, 16, 3, 'png'));
    const greyAlpha = new Uint8Array(await encodeWithSharp(randomBytes(16 * 16 * 2, 4), 16, 16, 2, 'png'));
    expect(decodeSmallPng(rgb, 1e8)).toBeNull();
    expect(decodeSmallPng(greyAlpha, 1e8)).toBeNull();
    expect((await decodeImage(rgb)).channels).toBe(3);
  });

  it('leaves a file with a bad chunk CRC to sharp', async () => {
    const png = new Uint8Array(await encodeWithSharp(randomBytes(8 * 8, 5), 8, 8, 1, 'png'));
    png[29] ^= 0xff; // a byte of the IHDR chunk's CRC
    expect(decodeSmallPng(png, 1e8)).toBeNull();
  });
});
