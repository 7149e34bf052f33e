import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { preprocessImage } from '@/lib/imaging';
import { FASHION_MNIST_DIR, loadFashionMnist, parseIdx } from '@/lib/datasets/fashion-mnist';

describe('loadFashionMnist', () => {
  it('splits by class with a per-class limit (identity = class name)', async () => {
    const ds = await loadFashionMnist(FASHION_MNIST_DIR, { inputSizePx: 28, channels: 1, invert: false, fit: 'fill' }, {
      classes: [0, 7],
      limitPerClass: 5,
      split: 'test',
    });
    expect(ds.name).toBe('fashion-mnist-test');
    expect(ds.identities.map((i) => [i.identity, i.images.length])).toEqual([['T-shirt_top', 5], ['Sneaker', 5]]);
    for (const img of ds.identities.flatMap((i) => i.images)) {
      expect(img).toHaveLength(784);
      expect(Math.min(...img)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...img)).toBeLessThanOrEqual(1);
      expect(Math.max(...img)).toBeGreaterThan(0.5);
    }
  });

  it('gives on the direct 28 px path exactly what preprocessImage gives', async () => {
    const spec = { inputSizePx: 28, channels: 1, invert: true, fit: 'fill' } as const;
    const ds = await loadFashionMnist(FASHION_MNIST_DIR, spec, { classes: [1], limitPerClass: 1, split: 'test' });
    const images = parseIdx(new Uint8Array(gunzipSync(readFileSync(`${FASHION_MNIST_DIR}/t10k-images-idx3-ubyte.gz`))), 0x803, 'test');
    const labels = parseIdx(new Uint8Array(gunzipSync(readFileSync(`${FASHION_MNIST_DIR}/t10k-labels-idx1-ubyte.gz`))), 0x801, 'test');
    const first = labels.data.indexOf(1);
    const raw = images.data.subarray(first * 784, (first + 1) * 784);
    const viaSharp = await preprocessImage({ width: 28, height: 28, channels: 1, data: raw, format: 'pgm' }, spec);
    expect(Array.from(ds.identities[0].images[0], (v) => v.toFixed(5))).toEqual(Array.from(viaSharp, (v) => v.toFixed(5)));
    const resized = await loadFashionMnist(FASHION_MNIST_DIR, { ...spec, inputSizePx: 14, channels: 3 }, { classes: [1], limitPerClass: 1, split: 'test' });
    expect(resized.identities[0].images[0]).toHaveLength(14 * 14 * 3);
  });
});

describe('parseIdx', () => {
  it('rejects the wrong magic and a truncated payload with expected vs got', () => {
    const header = Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 3, 7, 8);
    expect(() => parseIdx(header, 0x803, 'x')).toThrow(/expected IDX magic 0x803, got 0x801/);
    expect(() => parseIdx(header, 0x801, 'x')).toThrow(/expected 11 bytes for dims 3, got 10/);
    expect(parseIdx(Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 2, 7, 8), 0x801, 'x')).toEqual({ dims: [2], data: Uint8Array.of(7, 8) });
  });
});
