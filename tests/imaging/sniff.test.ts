import { describe, expect, it } from 'vitest';
import { sniffFormat } from '@/lib/imaging';
import { encodeWithSharp, makeBmp, makePnm, rgbPattern } from './fixtures';

const ascii = (s: string) => new TextEncoder().encode(s);
const bytes = (...b: number[]) => new Uint8Array(b);

describe('sniffFormat', () => {
  const rgb = rgbPattern(4, 3);
  it.each([
    { name: 'PNG from sharp', input: () => encodeWithSharp(rgb, 4, 3, 3, 'png'), expected: 'png' },
    { name: 'JPEG from sharp', input: () => encodeWithSharp(rgb, 4, 3, 3, 'jpeg'), expected: 'jpeg' },
    { name: 'GIF from sharp', input: () => encodeWithSharp(rgb, 4, 3, 3, 'gif'), expected: 'gif' },
    { name: 'WebP from sharp', input: () => encodeWithSharp(rgb, 4, 3, 3, 'webp'), expected: 'webp' },
    { name: 'AVIF from sharp', input: () => encodeWithSharp(rgb, 4, 3, 3, 'avif'), expected: 'avif' },
    { name: 'P5 PGM', input: () => makePnm({ magic: 'P5', width: 1, height: 1, maxval: 255, samples: [7] }), expected: 'pgm' },
    { name: 'P2 PGM', input: () => makePnm({ magic: 'P2', width: 1, height: 1, maxval: 255, samples: [7] }), expected: 'pgm' },
    { name: 'P6 PPM', input: () => makePnm({ magic: 'P6', width: 1, height: 1, maxval: 255, samples: [1, 2, 3] }), expected: 'ppm' },
    { name: 'P3 PPM with comment', input: () => makePnm({ magic: 'P3', width: 1, height: 1, maxval: 9, samples: [1, 2, 3], comment: 'c' }), expected: 'ppm' },
    { name: 'BMP', input: () => makeBmp({ width: 1, height: 1, bpp: 24, rows: [bytes(1, 2, 3)] }), expected: 'bmp' },
    { name: 'TIFF (refused)', input: () => encodeWithSharp(rgb, 4, 3, 3, 'tiff'), expected: null },
    { name: 'SVG (refused)', input: () => ascii('<svg xmlns="http://www.w3.org/2000/svg"/>'), expected: null },
    { name: 'PDF (refused)', input: () => ascii('%PDF-1.7\n'), expected: null },
    { name: 'PBM P4 (refused)', input: () => ascii('P4\n1 1\n\x80'), expected: null },
    { name: 'empty', input: () => bytes(), expected: null },
    { name: 'text', input: () => ascii('hello, world'), expected: null },
    { name: 'PNG signature cut short', input: () => bytes(0x89, 0x50, 0x4e, 0x47), expected: null },
    { name: 'RIFF that is not WebP (WAV)', input: () => ascii('RIFF\x24\0\0\0WAVEfmt '), expected: null },
  ])('$name -> $expected', async ({ input, expected }) => {
    expect(sniffFormat(await input())).toBe(expected);
  });
});
