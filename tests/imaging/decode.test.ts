import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, type DecodedImage } from '@/lib/imaging';
import { encodeWithSharp, makeBmp, makePnm, readOrlFace, rgbPattern } from './fixtures';

const W = 5;
const H = 3;
const RGB = rgbPattern(W, H);
const GREY = Uint8Array.from({ length: W * H }, (_, i) => (i * 17 + 3) % 256);
/** Four colours only, so GIF's palette holds them exactly. */
const FOUR = Uint8Array.from({ length: W * H * 3 }, (_, i) => [0, 255, 128, 64][Math.floor(i / 3) % 4] ^ (i % 3) * 7);

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

/** Packs one row of BGR (24-bit) from an RGB row. */
function bgrRow(rgb: Uint8Array, y: number, width: number, extra?: number): Uint8Array {
  const px = extra === undefined ? 3 : 4;
  const row = new Uint8Array(width * px);
  for (let x = 0; x < width; x++) {
    const o = (y * width + x) * 3;
    row.set(px === 3 ? [rgb[o + 2], rgb[o + 1], rgb[o]] : [rgb[o + 2], rgb[o + 1], rgb[o], extra!], x * px);
  }
  return row;
}

const rows = (n: number, make: (y: number) => Uint8Array) => Array.from({ length: n }, (_, y) => make(y));

interface DecodeCase {
  name: string;
  input: () => Uint8Array | Promise<Uint8Array>;
  expected: { format: DecodedImage['format']; width: number; height: number; channels: 1 | 3 | 4; data: Uint8Array; maxMeanAbsDiff?: number };
}

describe('decodeImage', () => {
  const cases: DecodeCase[] = [
    { name: 'PNG RGB', input: () => encodeWithSharp(RGB, W, H, 3, 'png'), expected: { format: 'png', width: W, height: H, channels: 3, data: RGB } },
    { name: 'PNG grey stays 1 channel', input: () => encodeWithSharp(GREY, W, H, 1, 'png'), expected: { format: 'png', width: W, height: H, channels: 1, data: GREY } },
    { name: 'JPEG RGB (lossy)', input: () => encodeWithSharp(RGB, W, H, 3, 'jpeg'), expected: { format: 'jpeg', width: W, height: H, channels: 3, data: RGB, maxMeanAbsDiff: 12 } },
    { name: 'JPEG grey stays 1 channel', input: () => encodeWithSharp(GREY, W, H, 1, 'jpeg'), expected: { format: 'jpeg', width: W, height: H, channels: 1, data: GREY, maxMeanAbsDiff: 6 } },
    { name: 'GIF with four colours', input: () => encodeWithSharp(FOUR, W, H, 3, 'gif'), expected: { format: 'gif', width: W, height: H, channels: 3, data: FOUR } },
    { name: 'WebP lossless', input: () => encodeWithSharp(RGB, W, H, 3, 'webp'), expected: { format: 'webp', width: W, height: H, channels: 3, data: RGB } },
    { name: 'AVIF lossless', input: () => encodeWithSharp(RGB, W, H, 3, 'avif'), expected: { format: 'avif', width: W, height: H, channels: 3, data: RGB, maxMeanAbsDiff: 2 } },
    { name: 'P5 PGM maxval 255', input: () => makePnm({ magic: 'P5', width: W, height: H, maxval: 255, samples: GREY }), expected: { format: 'pgm', width: W, height: H, channels: 1, data: GREY } },
    { name: 'P2 PGM with a comment', input: () => makePnm({ magic: 'P2', width: W, height: H, maxval: 255, samples: GREY, comment: 'plain' }), expected: { format: 'pgm', width: W, height: H, channels: 1, data: GREY } },
    {
      name: 'P5 PGM maxval 65535 (2-byte samples, scaled)',
      input: () => makePnm({ magic: 'P5', width: W, height: H, maxval: 65535, samples: Array.from(GREY, (v) => v * 257) }),
      expected: { format: 'pgm', width: W, height: H, channels: 1, data: GREY },
    },
    {
      name: 'P2 PGM maxval 15 (scaled by 255/15 = 17)',
      input: () => makePnm({ magic: 'P2', width: 4, height: 1, maxval: 15, samples: [0, 1, 8, 15] }),
      expected: { format: 'pgm', width: 4, height: 1, channels: 1, data: new Uint8Array([0, 17, 136, 255]) },
    },
    { name: 'P6 PPM', input: () => makePnm({ magic: 'P6', width: W, height: H, maxval: 255, samples: RGB }), expected: { format: 'ppm', width: W, height: H, channels: 3, data: RGB } },
    { name: 'P3 PPM', input: () => makePnm({ magic: 'P3', width: W, height: H, maxval: 255, samples: RGB }), expected: { format: 'ppm', width: W, height: H, channels: 3, data: RGB } },
    {
      name: 'P6 PPM maxval 1000 (2-byte samples)',
      input: () => makePnm({ magic: 'P6', width: 2, height: 1, maxval: 1000, samples: [0, 500, 1000, 1000, 250, 0] }),
      expected: { format: 'ppm', width: 2, height: 1, channels: 3, data: new Uint8Array([0, 128, 255, 255, 64, 0]) },
    },
    { name: 'BMP 24-bit bottom-up', input: () => makeBmp({ width: W, height: H, bpp: 24, rows: rows(H, (y) => bgrRow(RGB, y, W)) }), expected: { format: 'bmp', width: W, height: H, channels: 3, data: RGB } },
    { name: 'BMP 24-bit top-down', input: () => makeBmp({ width: W, height: H, bpp: 24, topDown: true, rows: rows(H, (y) => bgrRow(RGB, y, W)) }), expected: { format: 'bmp', width: W, height: H, channels: 3, data: RGB } },
    { name: 'BMP 32-bit BI_RGB (4th byte ignored)', input: () => makeBmp({ width: W, height: H, bpp: 32, rows: rows(H, (y) => bgrRow(RGB, y, W, 0)) }), expected: { format: 'bmp', width: W, height: H, channels: 3, data: RGB } },
    {
      name: 'BMP 32-bit BI_BITFIELDS V4 with real alpha',
      input: () => makeBmp({ width: 2, height: 1, bpp: 32, compression: 3, headerSize: 108, masks: [0xff0000, 0xff00, 0xff, 0xff000000], rows: [new Uint8Array([3, 2, 1, 255, 30, 20, 10, 128])] }),
      expected: { format: 'bmp', width: 2, height: 1, channels: 4, data: new Uint8Array([1, 2, 3, 255, 10, 20, 30, 128]) },
    },
    {
      name: 'BMP 16-bit BI_BITFIELDS 5-6-5',
      input: () => makeBmp({ width: 2, height: 1, bpp: 16, compression: 3, masks: [0xf800, 0x07e0, 0x001f], rows: [new Uint8Array([0x00, 0xf8, 0x1f, 0x00])] }),
      expected: { format: 'bmp', width: 2, height: 1, channels: 3, data: new Uint8Array([255, 0, 0, 0, 0, 255]) },
    },
    {
      name: 'BMP 16-bit BI_RGB 5-5-5',
      input: () => makeBmp({ width: 1, height: 1, bpp: 16, rows: [new Uint8Array([0xe0, 0x03])] }),
      expected: { format: 'bmp', width: 1, height: 1, channels: 3, data: new Uint8Array([0, 255, 0]) },
    },
    {
      name: 'BMP 8-bit grey palette -> 1 channel',
      input: () => makeBmp({ width: W, height: H, bpp: 8, palette: Array.from({ length: 256 }, (_, i) => [i, i, i] as [number, number, number]), rows: rows(H, (y) => GREY.subarray(y * W, (y + 1) * W)) }),
      expected: { format: 'bmp', width: W, height: H, channels: 1, data: GREY },
    },
    {
      name: 'BMP 8-bit colour palette -> RGB',
      input: () => makeBmp({ width: 3, height: 1, bpp: 8, palette: [[255, 0, 0], [0, 255, 0], [0, 0, 255]], rows: [new Uint8Array([2, 0, 1])] }),
      expected: { format: 'bmp', width: 3, height: 1, channels: 3, data: new Uint8Array([0, 0, 255, 255, 0, 0, 0, 255, 0]) },
    },
    {
      name: 'BMP 4-bit palette',
      input: () => makeBmp({ width: 3, height: 1, bpp: 4, palette: [[0, 0, 0], [10, 20, 30], [200, 100, 50]], rows: [new Uint8Array([0x12, 0x00])] }),
      expected: { format: 'bmp', width: 3, height: 1, channels: 3, data: new Uint8Array([10, 20, 30, 200, 100, 50, 0, 0, 0]) },
    },
    {
      name: 'BMP 1-bit black/white palette -> 1 channel',
      input: () => makeBmp({ width: 10, height: 1, bpp: 1, palette: [[0, 0, 0], [255, 255, 255]], rows: [new Uint8Array([0b10110000, 0b01000000])] }),
      expected: { format: 'bmp', width: 10, height: 1, channels: 1, data: new Uint8Array([255, 0, 255, 255, 0, 0, 0, 0, 0, 255]) },
    },
  ];

  it.each(cases)('$name', async ({ input, expected }) => {
    const img = await decodeImage(await input());
    expect({ format: img.format, width: img.width, height: img.height, channels: img.channels }).toEqual({
      format: expected.format, width: expected.width, height: expected.height, channels: expected.channels,
    });
    if (expected.maxMeanAbsDiff === undefined) expect(Array.from(img.data)).toEqual(Array.from(expected.data));
    else expect(meanAbsDiff(img.data, expected.data)).toBeLessThanOrEqual(expected.maxMeanAbsDiff);
  });

  it('reads the real ORL face s1/1.pgm (92x112 P5) byte for byte', async () => {
    const file = readOrlFace();
    const img = await decodeImage(file);
    expect({ format: img.format, width: img.width, height: img.height, channels: img.channels }).toEqual({ format: 'pgm', width: 92, height: 112, channels: 1 });
    // maxval is 255, so the pixels are exactly the file's last 92*112 bytes.
    expect(Buffer.from(img.data).equals(Buffer.from(file.subarray(file.length - 92 * 112)))).toBe(true);
  });

  it('decodes a file saved without an extension (format from bytes, not name)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imaging-'));
    try {
      const path = join(dir, 'upload');
      writeFileSync(path, await encodeWithSharp(RGB, W, H, 3, 'webp'));
      const img = await decodeImage(new Uint8Array(readFileSync(path)));
      expect([img.format, img.width, img.height]).toEqual(['webp', W, H]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('honours EXIF orientation 6: a 40x20 JPEG comes out 20x40, left half on top', async () => {
    // Left half red, right half blue; orientation 6 = rotate 90° clockwise to display.
    const src = new Uint8Array(40 * 20 * 3);
    for (let i = 0; i < 40 * 20; i++) src.set((i % 40) < 20 ? [255, 0, 0] : [0, 0, 255], i * 3);
    const jpeg = await sharp(Buffer.from(src), { raw: { width: 40, height: 20, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(jpeg);
    expect([img.width, img.height]).toEqual([20, 40]);
    const px = (x: number, y: number) => Array.from(img.data.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3));
    expect(px(10, 5)[0]).toBeGreaterThan(200); // red on top
    expect(px(10, 35)[2]).toBeGreaterThan(200); // blue at the bottom
  });

  it('returns the first frame of an animated GIF', async () => {
    const red = await sharp({ create: { width: 8, height: 6, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const blue = await sharp({ create: { width: 8, height: 6, channels: 3, background: '#0000ff' } }).png().toBuffer();
    const gif = await sharp([red, blue], { join: { animated: true } }).gif().toBuffer();
    const img = await decodeImage(gif);
    expect([img.width, img.height, img.channels]).toEqual([8, 6, 3]);
    expect(Array.from(img.data.subarray(0, 3))).toEqual([255, 0, 0]);
  });

  it.each([
    { name: 'opaque RGBA PNG drops alpha', input: [10, 20, 30, 255, 40, 50, 60, 255], channels: 4 as const, expected: { channels: 3, data: [10, 20, 30, 40, 50, 60] } },
    { name: 'translucent RGBA PNG keeps alpha', input: [10, 20, 30, 255, 40, 50, 60, 0], channels: 4 as const, expected: { channels: 4, data: [10, 20, 30, 255, 40, 50, 60, 0] } },
    { name: 'translucent grey+alpha PNG becomes RGBA', input: [100, 255, 200, 128], channels: 2 as const, expected: { channels: 4, data: [100, 100, 100, 255, 200, 200, 200, 128] } },
    { name: 'opaque grey+alpha PNG becomes grey', input: [100, 255, 200, 255], channels: 2 as const, expected: { channels: 1, data: [100, 200] } },
  ])('$name', async ({ input, channels, expected }) => {
    const png = await encodeWithSharp(new Uint8Array(input), 2, 1, channels, 'png');
    const img = await decodeImage(png);
    expect({ channels: img.channels, data: Array.from(img.data) }).toEqual(expected);
  });

  it('scales a 16-bit grey PNG to 8 bits and keeps 1 channel', async () => {
    const png = await sharp(new Uint16Array([0, 257 * 100, 65535]), { raw: { width: 3, height: 1, channels: 1 } }).toColourspace('grey16').png().toBuffer();
    const img = await decodeImage(png);
    expect({ channels: img.channels, data: Array.from(img.data) }).toEqual({ channels: 1, data: [0, 100, 255] });
  });

  it('converts a CMYK JPEG to RGB', async () => {
    const cmyk = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 200, g: 20, b: 20 } } }).toColourspace('cmyk').jpeg().toBuffer();
    const img = await decodeImage(cmyk);
    expect(img.channels).toBe(3);
    expect(img.data[0]).toBeGreaterThan(150);
    expect(img.data[2]).toBeLessThan(60);
  });
});
