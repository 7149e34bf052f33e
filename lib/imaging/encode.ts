/**
 * Encoding: decoded pixels to PNG, and our own SVG plots to PNG.
 */
import sharp from 'sharp';
import { assert } from '@/lib/errors';
import { sharpFromImage } from './pixels';
import type { DecodedImage } from './types';

/** Encodes `img` as a PNG (grey stays 1 channel, alpha kept). */
export async function encodePng(img: DecodedImage): Promise<Buffer> {
  let pipeline = sharpFromImage(img);
  // sharp writes 1-channel raw input as RGB unless told the space is b-w.
  if (img.channels === 1) pipeline = pipeline.toColourspace('b-w');
  return pipeline.png().toBuffer();
}

/**
 * Rasterises an SVG string to PNG at `density` DPI (default 72: 1 SVG px = 1 PNG px).
 * Only for SVG our own code drew: `decodeImage` refuses uploaded SVG.
 */
export async function svgToPng(svg: string, opts: { density?: number } = {}): Promise<Buffer> {
  const density = opts.density ?? 72;
  assert(Number.isFinite(density) && density > 0 && density <= 2400, `density must be in (0, 2400] DPI, got ${density}`);
  return sharp(Buffer.from(svg, 'utf8'), { density }).png().toBuffer();
}
