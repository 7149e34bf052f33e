import { describe, expect, it } from 'vitest';
import { InvariantError } from '@/lib/errors';
import { decodeImage, preprocessImage, type DecodedImage, type PreprocessSpec } from '@/lib/imaging';
import { OMNIGLOT_SMALL_ZIP, readZipEntries } from './fixtures';

const grey = (width: number, height: number, values: number[]): DecodedImage => ({
  width, height, channels: 1, data: new Uint8Array(values), format: 'png',
});

const spec = (over: Partial<PreprocessSpec>): PreprocessSpec => ({ inputSizePx: 2, channels: 1, invert: false, fit: 'fill', ...over });

/** sRGB-encoded 8-bit value of the Rec.709 luminance of an sRGB colour (libvips `b-w`). */
function luma709(r: number, g: number, b: number): number {
  const lin = (v: number) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const y = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  return y <= 0.0031308 ? 12.92 * y : 1.055 * y ** (1 / 2.4) - 0.055;
}

/** Exact area average of `ink` (size s x s) onto t x t: each output pixel integrates its footprint. */
function areaAverage(ink: Float64Array, s: number, t: number): Float64Array {
  const f = s / t;
  const out = new Float64Array(t * t);
  for (let v = 0; v < t; v++) {
    for (let u = 0; u < t; u++) {
      let acc = 0;
      for (let y = Math.floor(v * f); y < Math.ceil((v + 1) * f); y++) {
        const wy = Math.min(y + 1, (v + 1) * f) - Math.max(y, v * f);
        for (let x = Math.floor(u * f); x < Math.ceil((u + 1) * f); x++) {
          const wx = Math.min(x + 1, (u + 1) * f) - Math.max(x, u * f);
          acc += wx * wy * ink[y * s + x];
        }
      }
      out[v * t + u] = acc / (f * f);
    }
  }
  return out;
}

describe('preprocessImage', () => {
  it.each([
    { name: 'identity size keeps values', input: { img: grey(2, 2, [0, 255, 51, 204]), spec: spec({}) }, expected: [0, 1, 0.2, 0.8] },
    { name: 'invert gives 1 - v', input: { img: grey(2, 2, [0, 255, 51, 204]), spec: spec({ invert: true }) }, expected: [1, 0, 0.8, 0.2] },
    {
      name: 'contain letterboxes a 4x2 white image with background 0',
      input: { img: grey(4, 2, Array(8).fill(255)), spec: spec({ inputSizePx: 4, fit: 'contain', background: 0 }) },
      expected: [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0],
    },
    {
      name: 'contain with invert pads with white paper (default background 255) -> 0 ink',
      input: { img: grey(4, 2, Array(8).fill(0)), spec: spec({ inputSizePx: 4, fit: 'contain', invert: true }) },
      expected: [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0],
    },
    {
      name: 'cover centre-crops a 4x2 image to its middle columns',
      input: { img: grey(4, 2, [0, 0, 255, 255, 0, 0, 255, 255]), spec: spec({ fit: 'cover' }) },
      expected: [0, 1, 0, 1],
    },
    {
      name: 'RGBA: a transparent black pixel flattens onto background 255',
      input: { img: { width: 1, height: 1, channels: 4, data: new Uint8Array([0, 0, 0, 0]), format: 'png' } as DecodedImage, spec: spec({ inputSizePx: 1, background: 255 }) },
      expected: [1],
    },
    {
      name: 'RGBA: an opaque black pixel ignores the background',
      input: { img: { width: 1, height: 1, channels: 4, data: new Uint8Array([0, 0, 0, 255]), format: 'png' } as DecodedImage, spec: spec({ inputSizePx: 1, background: 255 }) },
      expected: [0],
    },
    {
      name: 'grey to 3 channels replicates',
      input: { img: grey(2, 2, [0, 255, 51, 204]), spec: spec({ channels: 3 }) },
      expected: [0, 0, 0, 1, 1, 1, 0.2, 0.2, 0.2, 0.8, 0.8, 0.8],
    },
    {
      name: 'pure green to 1 channel is its Rec.709 luminance',
      input: { img: { width: 1, height: 1, channels: 3, data: new Uint8Array([0, 255, 0]), format: 'png' } as DecodedImage, spec: spec({ inputSizePx: 1 }) },
      expected: [Math.round(luma709(0, 255, 0) * 255) / 255],
    },
  ])('$name', async ({ input, expected }) => {
    const out = await preprocessImage(input.img, input.spec);
    expect(out).toBeInstanceOf(Float32Array);
    expect(out.length).toBe(input.spec.inputSizePx ** 2 * input.spec.channels);
    expect(Array.from(out).map((v) => Math.round(v * 1000) / 1000)).toEqual(expected.map((v) => Math.round(v * 1000) / 1000));
  });

  it('returns 64x64x3 HWC values in [0, 1] for a 50x30 RGB input', async () => {
    const data = Uint8Array.from({ length: 50 * 30 * 3 }, (_, i) => (i * 31) % 256);
    const out = await preprocessImage({ width: 50, height: 30, channels: 3, data, format: 'jpeg' }, { inputSizePx: 64, channels: 3, invert: false, fit: 'cover' });
    expect(out.length).toBe(64 * 64 * 3);
    expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...out)).toBeLessThanOrEqual(1);
  });

  it('keeps thin Omniglot strokes when shrinking 105 -> 28 (vs exact area average)', async () => {
    const files = readZipEntries(OMNIGLOT_SMALL_ZIP, (name) => /\/character0[12]\/.*_0[1-5]\.png$/.test(name));
    const names = Object.keys(files).sort().slice(0, 20);
    expect(names.length).toBe(20);
    let absErr = 0;
    let mass = 0;
    let refMass = 0;
    let lost = 0;
    let strong = 0;
    for (const name of names) {
      const img = await decodeImage(files[name]);
      expect([img.width, img.height, img.channels]).toEqual([105, 105, 1]);
      const ref = areaAverage(Float64Array.from(img.data, (v) => 1 - v / 255), 105, 28);
      const out = await preprocessImage(img, { inputSizePx: 28, channels: 1, invert: true, fit: 'fill' });
      for (let i = 0; i < out.length; i++) {
        absErr += Math.abs(out[i] - ref[i]);
        mass += out[i];
        refMass += ref[i];
        if (ref[i] >= 0.3) {
          strong++;
          if (out[i] < 0.15) lost++;
        }
      }
    }
    expect(strong).toBeGreaterThan(500);
    expect(lost).toBe(0); // nearest-neighbour loses ~20% of these
    expect(absErr / (names.length * 28 * 28)).toBeLessThan(0.01); // lanczos2 measured 0.0032 on 60 images
    expect(mass / refMass).toBeGreaterThan(0.95);
    expect(mass / refMass).toBeLessThan(1.08);
  });

  it.each([
    { name: 'inputSizePx 0', input: spec({ inputSizePx: 0 }), expected: /inputSizePx must be an integer in 1\.\.4096, got 0/ },
    { name: 'channels 4', input: spec({ channels: 4 as unknown as 1 }), expected: /channels must be 1 or 3, got 4/ },
    { name: 'background 300', input: spec({ background: 300 }), expected: /background must be an integer grey level 0\.\.255, got 300/ },
  ])('rejects a bad spec: $name', async ({ input, expected }) => {
    const err = await preprocessImage(grey(1, 1, [0]), input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvariantError);
    expect((err as Error).message).toMatch(expected);
  });
});
