import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { InputError } from '@/lib/errors';
import { decodeImage } from '@/lib/imaging';
import { encodeWithSharp, makeBmp, makeHugePng, makePnm, mulberry32, randomBytes, rgbPattern } from './fixtures';

const ascii = (s: string) => new TextEncoder().encode(s);
/** PNG signature (8), IHDR chunk (length, type, 13 bytes of data, CRC), then IDAT's length and type, no data. */
const PNG_HEADER_BYTES = 8 + 25 + 8;

/** A 256x256 noise JPEG: big enough that 60% of it keeps the whole header. */
async function noiseJpeg(): Promise<Buffer> {
  const rand = mulberry32(7);
  const noise = Buffer.from(Array.from({ length: 256 * 256 * 3 }, () => Math.floor(rand() * 256)));
  return sharp(noise, { raw: { width: 256, height: 256, channels: 3 } }).jpeg().toBuffer();
}

async function decodeError(bytes: Uint8Array, maxPixels?: number): Promise<InputError> {
  const err = await decodeImage(bytes, maxPixels === undefined ? {} : { maxPixels }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  return err as InputError;
}

describe('decodeImage errors', () => {
  it('a truncated JPEG passes metadata() but fails the full decode: undecodable', async () => {
    const jpeg = await noiseJpeg();
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length * 0.6));
    // The reason decodeImage always decodes fully: the header alone looks fine.
    await expect(sharp(truncated).metadata()).resolves.toMatchObject({ width: 256, height: 256 });
    const err = await decodeError(truncated);
    expect(err.code).toBe('undecodable');
    expect(err.message).toMatch(/JPEG data is corrupt or truncated/);
  });

  it.each([
    { name: 'zero bytes', input: () => new Uint8Array(0), expected: { code: 'undecodable', message: /got an empty file \(0 bytes\)/ } },
    { name: 'seeded garbage', input: () => randomBytes(4096, 42), expected: { code: 'undecodable', message: /expected PNG, JPEG, GIF, WEBP, AVIF, PGM, PPM, BMP, got 4096 bytes of unknown type/ } },
    { name: 'plain text', input: () => ascii('this is not an image'), expected: { code: 'undecodable', message: /unknown type starting 74 68 69 73/ } },
    { name: 'PNG signature then garbage', input: () => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...randomBytes(64, 1)]), expected: { code: 'undecodable', message: /PNG header is corrupt/ } },
    { name: 'truncated PNG', input: async () => (await encodeWithSharp(randomBytes(64 * 64 * 3, 3), 64, 64, 3, 'png')).subarray(0, 2000), expected: { code: 'undecodable', message: /PNG data is corrupt or truncated/ } },
    { name: 'truncated P5 PGM', input: () => makePnm({ magic: 'P5', width: 10, height: 10, maxval: 255, samples: new Uint8Array(100) }).subarray(0, 50), expected: { code: 'undecodable', message: /PGM truncated: expected 100 bytes of pixels for 10x10, got 37/ } },
    { name: 'truncated P2 PGM', input: () => ascii('P2\n2 2\n255\n1 2 3'), expected: { code: 'undecodable', message: /PGM truncated: expected sample 3 of 4, got end of file/ } },
    { name: 'PGM sample above maxval', input: () => ascii('P2\n2 1\n15\n3 16\n'), expected: { code: 'undecodable', message: /sample 1 is 16, expected at most maxval 15/ } },
    { name: 'PGM with maxval 0', input: () => ascii('P5\n2 1\n0\n\0\0'), expected: { code: 'undecodable', message: /expected maxval in 1\.\.65535, got 0/ } },
    { name: 'PGM with letters for width', input: () => ascii('P5\nab 1\n255\n\0'), expected: { code: 'undecodable', message: /expected width as a decimal number/ } },
    { name: 'truncated BMP', input: () => makeBmp({ width: 4, height: 4, bpp: 24, rows: [] }).subarray(0, 60), expected: { code: 'undecodable', message: /BMP truncated: expected 48 bytes of pixels at offset 54, got 6/ } },
    { name: 'BMP palette index out of range', input: () => makeBmp({ width: 1, height: 1, bpp: 8, palette: [[0, 0, 0]], rows: [new Uint8Array([5])] }), expected: { code: 'undecodable', message: /palette index 5, palette has 1 entries/ } },
  ])('$name -> $expected.code', async ({ input, expected }) => {
    const err = await decodeError(await input());
    expect(err.code).toBe(expected.code);
    expect(err.message).toMatch(expected.message);
  });

  it.each([
    { name: 'SVG', input: () => ascii('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'), expected: /SVG \(SVG is refused for security/ },
    { name: 'SVG with XML prolog and BOM', input: () => ascii('\ufeff<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg xmlns="http://www.w3.org/2000/svg"/>'), expected: /SVG/ },
    { name: 'PDF header', input: () => ascii('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n'), expected: /PDF/ },
    { name: 'TIFF from sharp', input: () => encodeWithSharp(rgbPattern(4, 4), 4, 4, 3, 'tiff'), expected: /TIFF/ },
    { name: 'HEIC brand', input: () => new Uint8Array([0, 0, 0, 24, ...ascii('ftypheic'), 0, 0, 0, 0, ...ascii('mif1heic')]), expected: /HEIC/ },
    { name: 'PBM P4', input: () => ascii('P4\n8 1\n\xff'), expected: /Netpbm P4/ },
    { name: 'RLE8 BMP', input: () => makeBmp({ width: 2, height: 1, bpp: 8, compression: 1, palette: [[0, 0, 0]], rows: [new Uint8Array([0, 0])] }), expected: /RLE-compressed BMP/ },
  ])('$name -> unsupported_type', async ({ input, expected }) => {
    const err = await decodeError(await input());
    expect(err.code).toBe('unsupported_type');
    expect(err.message).toMatch(expected);
    expect(err.message).toMatch(/expected one of PNG, JPEG, GIF, WEBP, AVIF, PGM, PPM, BMP/);
  });

  // Refused from the header, before any pixel is decoded: the cut-off copy keeps the header and
  // none of the pixel data, which a decode refuses as undecodable (the 200x200 control).
  it.each([
    { name: 'a real 20000x20000 PNG', side: 20_000, cut: false, expected: 'too_many_pixels' },
    { name: 'the same PNG cut off after its header', side: 20_000, cut: true, expected: 'too_many_pixels' },
    { name: 'a 200x200 PNG cut off after its header', side: 200, cut: true, expected: 'undecodable' },
  ])('$name -> $expected', async ({ side, cut, expected }) => {
    const png = makeHugePng(side, side);
    expect(png.length).toBeLessThan(1_000_000);
    const err = await decodeError(cut ? png.subarray(0, PNG_HEADER_BYTES) : png);
    expect(err.code).toBe(expected);
    if (expected === 'too_many_pixels') {
      expect(err.message).toBe('image too large: expected at most 40000000 pixels, got 20000x20000 = 400000000 (png); downscale it first');
      expect(err.details).toEqual({ width: 20_000, height: 20_000, maxPixels: 40_000_000, format: 'png' });
    }
  });

  it.each([
    // 1e10 pixels: allocating first would throw RangeError, not InputError.
    { name: 'PGM header claiming 100000x100000', input: () => ascii('P5\n100000 100000\n255\n\0\0\0\0'), expected: '100000x100000' },
    { name: 'PPM header claiming 100000x100000', input: () => ascii('P3\n100000 100000\n255\n1 2 3'), expected: '100000x100000' },
    { name: 'BMP header claiming 100000x100000', input: () => makeBmp({ width: 1, height: 1, bpp: 24, rows: [new Uint8Array(3)], declaredWidth: 100_000, declaredHeight: 100_000 }), expected: '100000x100000' },
  ])('$name -> too_many_pixels without allocating', async ({ input, expected }) => {
    const err = await decodeError(input());
    expect(err.code).toBe('too_many_pixels');
    expect(err.message).toContain(expected);
  });

  it.each([
    { name: 'PNG at the limit', input: () => encodeWithSharp(new Uint8Array(10 * 10), 10, 10, 1, 'png'), maxPixels: 100, expected: 'ok' },
    { name: 'PNG one pixel over', input: () => encodeWithSharp(new Uint8Array(101), 101, 1, 1, 'png'), maxPixels: 100, expected: 'too_many_pixels' },
    { name: 'PGM one pixel over', input: () => makePnm({ magic: 'P5', width: 101, height: 1, maxval: 255, samples: new Uint8Array(101) }), maxPixels: 100, expected: 'too_many_pixels' },
    { name: 'BMP one pixel over', input: () => makeBmp({ width: 101, height: 1, bpp: 24, rows: [new Uint8Array(303)] }), maxPixels: 100, expected: 'too_many_pixels' },
  ])('maxPixels option: $name -> $expected', async ({ input, maxPixels, expected }) => {
    const result = await decodeImage(await input(), { maxPixels }).then(
      () => 'ok',
      (e: InputError) => e.code,
    );
    expect(result).toBe(expected);
  });
});
