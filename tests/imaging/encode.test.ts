import { describe, expect, it } from 'vitest';
import { decodeImage, encodePng, svgToPng, type DecodedImage } from '@/lib/imaging';

/** PNG colour type from IHDR (byte 25): 0 grey, 2 RGB, 6 RGBA. */
const pngColourType = (png: Buffer) => png[25];

describe('encodePng', () => {
  it.each([
    { name: 'grey', input: { channels: 1 as const }, expected: { colourType: 0 } },
    { name: 'RGB', input: { channels: 3 as const }, expected: { colourType: 2 } },
    { name: 'RGBA', input: { channels: 4 as const }, expected: { colourType: 6 } },
  ])('$name round-trips through decodeImage', async ({ input, expected }) => {
    const data = Uint8Array.from({ length: 3 * 2 * input.channels }, (_, i) => (i * 41 + 5) % 256);
    if (input.channels === 4) data[3] = 17; // keep one translucent pixel so alpha survives decoding
    const img: DecodedImage = { width: 3, height: 2, channels: input.channels, data, format: 'bmp' };
    const png = await encodePng(img);
    expect(pngColourType(png)).toBe(expected.colourType);
    const back = await decodeImage(png);
    expect({ width: back.width, height: back.height, channels: back.channels, format: back.format }).toEqual({ width: 3, height: 2, channels: input.channels, format: 'png' });
    expect(Array.from(back.data)).toEqual(Array.from(data));
  });
});

describe('svgToPng', () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80"><rect width="120" height="80" fill="#ffffff"/><rect x="0" y="0" width="60" height="80" fill="#ff0000"/></svg>';

  it.each([
    { name: 'default density 72: 1 SVG px = 1 PNG px', input: {}, expected: { width: 120, height: 80 } },
    { name: 'density 144 doubles the size', input: { density: 144 }, expected: { width: 240, height: 160 } },
  ])('$name', async ({ input, expected }) => {
    const png = await svgToPng(svg, input);
    const img = await decodeImage(png);
    expect({ format: img.format, width: img.width, height: img.height }).toEqual({ format: 'png', ...expected });
    const px = (x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * img.channels, (y * img.width + x) * img.channels + 3));
    expect(px(5, 5)).toEqual([255, 0, 0]);
    expect(px(img.width - 5, 5)).toEqual([255, 255, 255]);
  });
});
