import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, preprocessImage, type DecodedImage, type PreprocessSpec } from '@/lib/imaging';
import { reduceGrey, reducesExactly } from '@/lib/imaging/reduce';
import { mulberry32, OMNIGLOT_SMALL_ZIP, readZipEntries } from './fixtures';

/** sharp's bytes for the resize ./reduce.ts stands in for (the pipeline of preprocessImage on grey input). */
async function sharpBytes(img: DecodedImage, width: number, height: number): Promise<Uint8Array> {
  const out = await sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 1 } })
    .resize(width, height, { fit: 'fill', kernel: 'lanczos2' })
    .toColourspace('b-w')
    .raw({ depth: 'uchar' })
    .toBuffer();
  return new Uint8Array(out);
}

/** Samples where `a` and `b` differ, and the largest difference. */
function differences(a: Uint8Array, b: Uint8Array): { count: number; max: number } {
  expect(a.length).toBe(b.length);
  let count = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > 0) count++;
    max = Math.max(max, d);
  }
  return { count, max };
}

/** A grey image of random levels: speckle (a third black) or a smooth wave times noise. */
function randomGrey(width: number, height: number, rnd: () => number, smooth: boolean): DecodedImage {
  const data = Uint8Array.from({ length: width * height }, (_, i) =>
    smooth ? Math.round(127 + 127 * Math.sin(i * 0.05) * rnd()) : rnd() < 0.3 ? 0 : Math.floor(rnd() * 256),
  );
  return { width, height, channels: 1, data, format: 'png' };
}

const drawings = async (): Promise<DecodedImage[]> => {
  const files = readZipEntries(OMNIGLOT_SMALL_ZIP, (name) => name.endsWith('.png'));
  const names = Object.keys(files).sort();
  // 120 drawings spread over the archive's alphabets and drawers.
  return Promise.all(names.filter((_, i) => i % Math.floor(names.length / 120) === 0).slice(0, 120).map((n) => decodeImage(files[n])));
};

describe('reduceGrey', () => {
  it("equals sharp's lanczos2 bytes on real Omniglot drawings (105 -> 32 and 28 px)", async () => {
    const imgs = await drawings();
    expect(imgs.length).toBe(120);
    let samples = 0;
    for (const img of imgs) {
      expect([img.width, img.height, img.channels]).toEqual([105, 105, 1]);
      for (const size of [32, 28]) {
        expect(differences(reduceGrey(img.data, img.width, img.height, size, size), await sharpBytes(img, size, size))).toEqual({ count: 0, max: 0 });
        samples += size * size;
      }
    }
    expect(samples).toBe(120 * (32 * 32 + 28 * 28));
  });

  it.each([
    [105, 105, 28, 28], [60, 80, 28, 28], [111, 90, 28, 28], [57, 100, 28, 28], [56, 56, 28, 28],
    [200, 150, 64, 64], [250, 250, 64, 64], [100, 100, 32, 32], [127, 64, 32, 30],
  ])("equals sharp's bytes on random %ix%i -> %ix%i images", async (w, h, ow, oh) => {
    expect(reducesExactly(w, h, ow, oh)).toBe(true);
    const rnd = mulberry32(w * 1000 + h);
    for (let rep = 0; rep < 6; rep++) {
      const img = randomGrey(w, h, rnd, rep % 2 === 1);
      expect(differences(reduceGrey(img.data, w, h, ow, oh), await sharpBytes(img, ow, oh))).toEqual({ count: 0, max: 0 });
    }
  });

  it('claims exactness only for shrinks in [2, 4), where outside it sharp differs from the formula', async () => {
    // At 4 libvips block-shrinks first; below 2 some samples differ by a few levels.
    for (const [w, h] of [[112, 112], [30, 30], [40, 40], [105, 50]]) {
      expect(reducesExactly(w, h, 28, 28)).toBe(false);
    }
    const img = randomGrey(112, 112, mulberry32(7), false);
    expect(differences(reduceGrey(img.data, 112, 112, 28, 28), await sharpBytes(img, 28, 28)).count).toBeGreaterThan(0);
  });
});

describe('preprocessImage on grey input', () => {
  const spec: PreprocessSpec = { inputSizePx: 32, channels: 1, invert: true, fit: 'fill' };

  it("gives sharp's values with and without the JavaScript reduce", async () => {
    const rnd = mulberry32(11);
    // 105 px takes ./reduce.ts, 128 px (shrink 4) and 40 px (1.25) take sharp.
    for (const side of [105, 128, 40]) {
      const img = randomGrey(side, side, rnd, false);
      const expected = Float32Array.from(await sharpBytes(img, 32, 32), (v) => 1 - v / 255);
      expect(await preprocessImage(img, spec)).toEqual(expected);
    }
  });
});
