/**
 * Fashion-MNIST (Zalando, MIT) from the gzip IDX files of Debian's `dataset-fashion-mnist`
 * (`/usr/share/datasets/fashion-mnist/`), split by class: identity = class name.
 * IDX: big-endian u32 magic (0x801 labels, 0x803 images), u32 counts/dims, then u8 data.
 * Images are light garment on a dark background (value 255 = garment).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InputError } from '@/lib/errors';
import { preprocessImage, type PreprocessSpec } from '@/lib/imaging';
import { mapLimit } from './map-limit';
import type { Dataset, IdentityImages } from './types';

/** Where Debian's package installs the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Class names by label 0-9 (from the Fashion-MNIST README). */
export const FASHION_MNIST_CLASSES = [
  'T-shirt_top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle_boot',
] as const;

const FILES = {
  train: { images: 'train-images-idx3-ubyte.gz', labels: 'train-labels-idx1-ubyte.gz' },
  test: { images: 't10k-images-idx3-ubyte.gz', labels: 't10k-labels-idx1-ubyte.gz' },
} as const;

/** Parses an IDX file (already gunzipped): dims and the u8 payload. */
export function parseIdx(bytes: Uint8Array, expectedMagic: 0x801 | 0x803, source: string): { dims: number[]; data: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = bytes.byteLength >= 4 ? view.getUint32(0, false) : -1;
  if (magic !== expectedMagic) {
    throw new InputError('invalid_dataset', `${source}: expected IDX magic 0x${expectedMagic.toString(16)}, got 0x${magic.toString(16)}`);
  }
  const rank = expectedMagic & 0xff;
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const offset = 4 + 4 * rank;
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== offset + size) {
    throw new InputError('invalid_dataset', `${source}: expected ${offset + size} bytes for dims ${dims.join('x')}, got ${bytes.byteLength}`);
  }
  return { dims, data: bytes.subarray(offset) };
}

async function readIdx(dir: string, file: string, magic: 0x801 | 0x803): Promise<{ dims: number[]; data: Uint8Array }> {
  const full = path.join(dir, file);
  const gz = await readFile(full).catch(() => {
    throw new InputError('invalid_dataset', `expected ${full}; install it with: apt-get install -y dataset-fashion-mnist`);
  });
  return parseIdx(new Uint8Array(gunzipSync(gz)), magic, full);
}

/** Options of `loadFashionMnist`. */
export interface FashionMnistOptions {
  /** Class labels 0-9 to keep (default all). */
  classes?: number[];
  /** Keep at most this many images per class (first in file order). */
  limitPerClass?: number;
  /** Which file pair: 60k `train` (default) or 10k `test`. */
  split?: 'train' | 'test';
}

/**
 * Loads Fashion-MNIST by class. With a 28 px, 1-channel spec the bytes are scaled directly
 * (v/255, or 1 - v/255 with `invert`: the result `preprocessImage` gives at the same size);
 * other specs go through `preprocessImage`.
 */
export async function loadFashionMnist(dir: string, spec: PreprocessSpec, opts: FashionMnistOptions = {}): Promise<Dataset> {
  const split = opts.split ?? 'train';
  const images = await readIdx(dir, FILES[split].images, 0x803);
  const labels = await readIdx(dir, FILES[split].labels, 0x801);
  const [n, rows, cols] = images.dims;
  if (labels.dims[0] !== n) throw new InputError('invalid_dataset', `expected ${n} labels, got ${labels.dims[0]}`);
  const classes = opts.classes ?? FASHION_MNIST_CLASSES.map((_, i) => i);
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c > 9) throw new InputError('invalid_config', `Fashion-MNIST classes are 0-9, got ${c}`);
  }
  const limit = opts.limitPerClass ?? Number.POSITIVE_INFINITY;
  const picked = new Map<number, number[]>(classes.map((c) => [c, []]));
  for (let i = 0; i < n; i++) {
    const list = picked.get(labels.data[i]);
    if (list && list.length < limit) list.push(i);
  }
  const pixels = rows * cols;
  const direct = spec.inputSizePx === rows && rows === cols && spec.channels === 1;
  const identities: IdentityImages[] = [];
  for (const c of classes) {
    const idx = picked.get(c)!;
    const imgs = await mapLimit(idx, 8, async (i) => {
      const raw = images.data.subarray(i * pixels, (i + 1) * pixels);
      if (direct) return Float32Array.from(raw, (v) => (spec.invert ? 1 - v / 255 : v / 255)); // [28, 28, 1]
      return preprocessImage({ width: cols, height: rows, channels: 1, data: raw, format: 'pgm' }, spec);
    });
    identities.push({ identity: FASHION_MNIST_CLASSES[c], group: 'fashion-mnist', images: imgs });
  }
  return { name: `fashion-mnist-${split}`, spec, identities };
}
