import { describe, expect, it } from 'vitest';
import { boxIou, centreInside, cropImage, padImage, pasteImage, resizeImage, shrinkImage, type DecodedImage } from '@/lib/imaging';

/** A black grey image with white square markers of side `size` centred on the given points. */
function withMarkers(width: number, height: number, centres: Array<[number, number]>, size = 6): DecodedImage {
  const data = new Uint8Array(width * height);
  for (const [cx, cy] of centres) {
    for (let y = Math.round(cy - size / 2); y < Math.round(cy + size / 2); y++) {
      for (let x = Math.round(cx - size / 2); x < Math.round(cx + size / 2); x++) data[y * width + x] = 255;
    }
  }
  return { width, height, channels: 1, data, format: 'png' };
}

/** Intensity-weighted centroid (pixel-centre coordinates) of a grey image, over the rows/columns given. */
function centroid(img: DecodedImage, region?: { x0: number; x1: number }): [number, number] {
  let sum = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = region?.x0 ?? 0; x < (region?.x1 ?? img.width); x++) {
      const v = img.data[y * img.width + x];
      sum += v;
      sx += v * (x + 0.5);
      sy += v * (y + 0.5);
    }
  }
  return [sx / sum, sy / sum];
}

describe('cropImage', () => {
  it('angle 0 at scale 1 copies the box exactly', async () => {
    const data = Uint8Array.from({ length: 20 * 10 * 3 }, (_, i) => (i * 7) % 256);
    const img: DecodedImage = { width: 20, height: 10, channels: 3, data, format: 'bmp' };
    const out = await cropImage(img, { x: 4, y: 2, width: 6, height: 6 }, 6);
    expect([out.width, out.height, out.channels, out.format]).toEqual([6, 6, 3, 'bmp']);
    for (let y = 0; y < 6; y++) {
      const want = data.subarray(((y + 2) * 20 + 4) * 3, ((y + 2) * 20 + 10) * 3);
      expect(Array.from(out.data.subarray(y * 18, (y + 1) * 18))).toEqual(Array.from(want));
    }
  });

  it.each([
    // Marker 40 px right of the box centre (100, 100); box 100x100 -> 100x100 output (scale 1).
    // Output +x runs along (cos a, sin a) in the source, so the marker lands at centre + R(-a) * (40, 0).
    { name: 'angle 0: marker stays right of centre', input: { angle: 0 }, expected: [90, 50] },
    { name: 'angle +pi/2: marker moves to the top', input: { angle: Math.PI / 2 }, expected: [50, 10] },
    { name: 'angle -pi/2: marker moves to the bottom', input: { angle: -Math.PI / 2 }, expected: [50, 90] },
    { name: 'angle pi: marker moves to the left', input: { angle: Math.PI }, expected: [10, 50] },
    { name: 'angle pi/6', input: { angle: Math.PI / 6 }, expected: [50 + 40 * Math.cos(Math.PI / 6), 50 - 40 * Math.sin(Math.PI / 6)] },
  ])('$name', async ({ input, expected }) => {
    const img = withMarkers(200, 200, [[140, 100]]);
    const out = await cropImage(img, { x: 50, y: 50, width: 100, height: 100 }, 100, input.angle);
    const [x, y] = centroid(out);
    expect(x).toBeCloseTo(expected[0], 0);
    expect(y).toBeCloseTo(expected[1], 0);
  });

  it('levels two "eyes" given atan2 of their offset, and scales 400 -> 100 with prefiltering', async () => {
    const left: [number, number] = [300, 340];
    const right: [number, number] = [500, 460];
    const img = withMarkers(800, 800, [left, right], 16);
    const angle = Math.atan2(right[1] - left[1], right[0] - left[0]);
    const box = { x: 200, y: 200, width: 400, height: 400 }; // centred on the eyes' midpoint (400, 400)
    const out = await cropImage(img, box, 100, angle);
    const [lx, ly] = centroid(out, { x0: 0, x1: 50 });
    const [rx, ry] = centroid(out, { x0: 50, x1: 100 });
    const halfGap = Math.hypot(right[0] - left[0], right[1] - left[1]) / 2 / 4; // source px -> output px
    expect(ly).toBeCloseTo(ry, 0);
    expect(ly).toBeCloseTo(50, 0);
    expect(lx).toBeCloseTo(50 - halfGap, 0);
    expect(rx).toBeCloseTo(50 + halfGap, 0);
    // Box-filtered, not point-sampled: each 16 px marker keeps its area (16*16/16 = 16 output px of 255).
    const mass = out.data.reduce((a, v) => a + v, 0) / 255;
    expect(mass).toBeGreaterThan(2 * 16 * 0.9);
    expect(mass).toBeLessThan(2 * 16 * 1.1);
  });

  it('box-filters when shrinking: a 1 px line survives a 4x reduction with its ink', async () => {
    // Point sampling at x = 4u + 1.5 would read columns 101/102 and 105/106 and miss the line at 103.
    const data = new Uint8Array(400 * 400);
    for (let y = 0; y < 400; y++) data[y * 400 + 103] = 255;
    const out = await cropImage({ width: 400, height: 400, channels: 1, data, format: 'png' }, { x: 0, y: 0, width: 400, height: 400 }, 100);
    for (const y of [10, 50, 90]) {
      const rowInk = out.data.subarray(y * 100, (y + 1) * 100).reduce((a, v) => a + v, 0);
      expect(rowInk).toBeGreaterThan((255 / 4) * 0.8);
      expect(rowInk).toBeLessThan((255 / 4) * 1.2);
    }
  });

  it('fills outside the image with background and opaque alpha', async () => {
    const img: DecodedImage = { width: 2, height: 2, channels: 4, data: new Uint8Array(16).fill(200), format: 'png' };
    const out = await cropImage(img, { x: -2, y: 0, width: 4, height: 4 }, 4, 0, 9);
    // Scale 1: output column u samples source x = u - 2 + 0.5, row v samples y = v + 0.5.
    const expected: number[] = [];
    for (let v = 0; v < 4; v++) {
      for (let u = 0; u < 4; u++) expected.push(...(u >= 2 && v < 2 ? [200, 200, 200, 200] : [9, 9, 9, 255]));
    }
    expect(Array.from(out.data)).toEqual(expected);
  });

  it('returns all background for a box entirely outside the image, even when shrinking', async () => {
    const img = withMarkers(50, 50, [[25, 25]]);
    const out = await cropImage(img, { x: 1000, y: 1000, width: 200, height: 200 }, 10, 0.3, 7);
    expect(out.data.every((v) => v === 7)).toBe(true);
  });
});

describe('padImage', () => {
  it.each([
    { name: 'fraction 0.5 on 4x2 grey', input: { w: 4, h: 2, ch: 1 as const, fraction: 0.5 }, expected: { width: 8, height: 4, offsetX: 2, offsetY: 1 } },
    { name: 'fraction 0.25 rounds 0.75 -> 1 and 0.5 -> 1', input: { w: 3, h: 2, ch: 3 as const, fraction: 0.25 }, expected: { width: 5, height: 4, offsetX: 1, offsetY: 1 } },
    { name: 'fraction 0 is a copy', input: { w: 3, h: 2, ch: 4 as const, fraction: 0 }, expected: { width: 3, height: 2, offsetX: 0, offsetY: 0 } },
    { name: 'fractions per axis {x: 1, y: 0.5} on 2x2 RGB', input: { w: 2, h: 2, ch: 3 as const, fraction: { x: 1, y: 0.5 } }, expected: { width: 6, height: 4, offsetX: 2, offsetY: 1 } },
  ])('$name', ({ input, expected }) => {
    const data = Uint8Array.from({ length: input.w * input.h * input.ch }, (_, i) => 100 + i);
    const img: DecodedImage = { width: input.w, height: input.h, channels: input.ch, data, format: 'png' };
    const out = padImage(img, input.fraction, 7);
    expect({ width: out.width, height: out.height, offsetX: out.offsetX, offsetY: out.offsetY }).toEqual(expected);
    expect(out.channels).toBe(input.ch);
    for (let y = 0; y < out.height; y++) {
      for (let x = 0; x < out.width; x++) {
        const sx = x - out.offsetX;
        const sy = y - out.offsetY;
        const inside = sx >= 0 && sy >= 0 && sx < input.w && sy < input.h;
        for (let c = 0; c < input.ch; c++) {
          const got = out.data[(y * out.width + x) * input.ch + c];
          const want = inside ? data[(sy * input.w + sx) * input.ch + c] : input.ch === 4 && c === 3 ? 255 : 7;
          expect(got).toBe(want);
        }
      }
    }
  });
});

describe('shrinkImage', () => {
  it.each([
    { name: 'fits: the same image, factors 1', input: { w: 300, h: 200, ch: 3 as const, max: 300 }, expected: { width: 300, height: 200, scaleX: 1, scaleY: 1 } },
    { name: 'wide grey stays grey', input: { w: 3000, h: 1500, ch: 1 as const, max: 1024 }, expected: { width: 1024, height: 512, scaleX: 1024 / 3000, scaleY: 512 / 1500 } },
    { name: 'tall RGBA keeps alpha', input: { w: 10, h: 4000, ch: 4 as const, max: 1000 }, expected: { width: 3, height: 1000, scaleX: 0.3, scaleY: 0.25 } },
  ])('$name', async ({ input, expected }) => {
    const img = withMarkers(input.w, input.h, [[input.w / 2, input.h / 2]], 4);
    const wide = input.ch === 1 ? img : { ...img, channels: input.ch, data: Uint8Array.from({ length: input.w * input.h * input.ch }, (_, i) => img.data[Math.floor(i / input.ch)]) };
    const out = await shrinkImage(wide, input.max);
    expect({ width: out.image.width, height: out.image.height, scaleX: out.scaleX, scaleY: out.scaleY }).toEqual(expected);
    expect(out.image.channels).toBe(input.ch);
    expect(out.image.data).toHaveLength(expected.width * expected.height * input.ch);
    if (expected.scaleX === 1) expect(out.image).toBe(wide);
  });

  it('keeps a marker where the factors map it', async () => {
    const img = withMarkers(2000, 1000, [[1500, 250]], 40);
    const { image, scaleX, scaleY } = await shrinkImage(img, 500);
    const [cx, cy] = centroid(image);
    expect(cx).toBeCloseTo(1500 * scaleX, 0);
    expect(cy).toBeCloseTo(250 * scaleY, 0);
  });
});

describe('resizeImage', () => {
  it('covers a target of another aspect ratio (centre crop) and converts grey to RGB', async () => {
    // 200x100 grey, marker at the centre; cover to 60x60 keeps the middle 100x100, scaled by 0.6.
    const out = await resizeImage(withMarkers(200, 100, [[100, 50]], 20), { widthPx: 60, heightPx: 60, fit: 'cover', channels: 3 });
    expect([out.width, out.height, out.channels]).toEqual([60, 60, 3]);
    const grey: DecodedImage = { ...out, channels: 1, data: out.data.filter((_, i) => i % 3 === 0) };
    const [cx, cy] = centroid(grey);
    expect(cx).toBeCloseTo(30, 0);
    expect(cy).toBeCloseTo(30, 0);
  });
});

describe('pasteImage', () => {
  it('copies the pixels at the corner given and refuses an image that does not fit', () => {
    const canvas: DecodedImage = { width: 5, height: 4, channels: 1, data: new Uint8Array(20), format: 'png' };
    const img: DecodedImage = { width: 2, height: 2, channels: 1, data: Uint8Array.from([1, 2, 3, 4]), format: 'png' };
    pasteImage(canvas, img, 3, 1);
    expect([...canvas.data]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
    expect(() => pasteImage(canvas, img, 4, 0)).toThrow(/does not fit a 5x4 canvas/);
  });
});

describe('boxIou and centreInside', () => {
  it('measure the overlap of two boxes', () => {
    const a = { x: 0, y: 0, width: 10, height: 10 };
    expect(boxIou(a, { x: 5, y: 0, width: 10, height: 10 })).toBeCloseTo(50 / 150, 10);
    expect(boxIou(a, { x: 20, y: 20, width: 5, height: 5 })).toBe(0);
    expect(centreInside({ x: 6, y: 6, width: 8, height: 8 }, a)).toBe(true); // centre (10, 10) on the edge
    expect(centreInside({ x: 7, y: 0, width: 8, height: 8 }, a)).toBe(false);
  });
});
