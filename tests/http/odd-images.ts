// The odd-image corpus of issue 16, made at test time (nothing stored): huge blank images just
// under the pixel limit, 1x1 images of every format, 16-bit, CMYK, EXIF-rotated, progressive,
// alpha, palette and interlaced images, 1,000-frame animations, BMP and Netpbm variants, every
// format truncated, and random bytes behind each format's magic number. Real pictures are
// skimage's astronaut (a face), so face collections see faces as well as refusals.
import sharp from 'sharp';
import { ASTRONAUT_PATH } from '../faces/fixtures';
import { makeBmp, makeHugePng, makePnm, randomBytes } from '../imaging/fixtures';

/** One file of the corpus. */
export interface OddImage {
  /** File name (its extension names the format it claims). */
  name: string;
  bytes: Uint8Array;
}

/** Side of the astronaut the variants start from (her face about 50 px wide). */
const BASE_PX = 256;
/** Frames of the animated GIF and WebP. */
const FRAMES = 1000;

const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const cut = (b: Uint8Array) => b.subarray(0, Math.floor(b.length / 2));
const concatBytes = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};
const ascii = (s: string) => new TextEncoder().encode(s);

/** BMP rows (top row first) of RGB pixels: `bpp` 24 (BGR) or 32 (BGRx). */
function bmpRows(rgb: Uint8Array, width: number, height: number, bpp: 24 | 32): Uint8Array[] {
  const px = bpp / 8;
  return Array.from({ length: height }, (_, y) => {
    const row = new Uint8Array(width * px);
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      row.set([rgb[o + 2], rgb[o + 1], rgb[o]], x * px);
    }
    return row;
  });
}

/**
 * The corpus: `pixelLimit` is the service's MAX_IMAGE_PIXELS (the huge images sit just under it).
 * 49 files; builds in a few seconds.
 */
export async function oddImageCorpus(pixelLimit: number): Promise<OddImage[]> {
  const astro = sharp(ASTRONAUT_PATH).resize(BASE_PX, BASE_PX);
  const { data: rgbBuf } = await astro.clone().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const rgb = u8(rgbBuf);
  const grey = u8(await astro.clone().greyscale().raw().toBuffer());
  const out: OddImage[] = [];
  const add = (name: string, bytes: Uint8Array | Buffer) => out.push({ name, bytes: bytes instanceof Buffer ? u8(bytes) : bytes });

  // Huge blank images just under the pixel limit (the 6000x6000 PNG took 19 s and killed the worker).
  const side = Math.floor(Math.sqrt(pixelLimit));
  add(`huge-blank-1bit-${side}.png`, makeHugePng(side, side));
  add('huge-blank-rgb-6000.png', await sharp({ create: { width: 6000, height: 6000, channels: 3, background: '#ffffff' } }).png({ compressionLevel: 1 }).toBuffer());
  const jpegHeight = Math.floor(pixelLimit / 6000);
  add(`huge-blank-6000x${jpegHeight}.jpg`, await sharp({ create: { width: 6000, height: jpegHeight, channels: 3, background: '#808080' } }).jpeg().toBuffer());

  // 1x1 images of every format.
  const dot = sharp({ create: { width: 1, height: 1, channels: 3, background: '#c08040' } });
  add('dot.png', await dot.clone().png().toBuffer());
  add('dot.jpg', await dot.clone().jpeg().toBuffer());
  add('dot.gif', await dot.clone().gif().toBuffer());
  add('dot.webp', await dot.clone().webp().toBuffer());
  add('dot.avif', await dot.clone().avif().toBuffer());
  add('dot.bmp', makeBmp({ width: 1, height: 1, bpp: 24, rows: [new Uint8Array([64, 128, 192])] }));
  add('dot.pgm', makePnm({ magic: 'P5', width: 1, height: 1, maxval: 255, samples: [200] }));
  add('dot.ppm', makePnm({ magic: 'P6', width: 1, height: 1, maxval: 255, samples: [1, 2, 3] }));
  // Extreme aspect ratios.
  add('strip-8000x1.png', await sharp({ create: { width: 8000, height: 1, channels: 3, background: '#202020' } }).png().toBuffer());
  add('strip-1x8000.png', await sharp({ create: { width: 1, height: 8000, channels: 3, background: '#202020' } }).png().toBuffer());

  // Encodings of a real photo.
  add('photo-16bit.png', await astro.clone().toColourspace('rgb16').png().toBuffer());
  add('photo-grey-16bit.png', await astro.clone().toColourspace('grey16').png().toBuffer());
  add('photo-cmyk.jpg', await astro.clone().toColourspace('cmyk').jpeg().toBuffer());
  add('photo-exif-orientation-6.jpg', await astro.clone().jpeg().withExif({}).withMetadata({ orientation: 6 }).toBuffer());
  add('photo-progressive.jpg', await astro.clone().jpeg({ progressive: true }).toBuffer());
  add('photo-alpha.png', await astro.clone().ensureAlpha(0.5).png().toBuffer());
  add('photo-grey-alpha.png', await astro.clone().greyscale().ensureAlpha(0.3).png().toBuffer());
  add('photo-palette.png', await astro.clone().png({ palette: true, colours: 16 }).toBuffer());
  add('photo-interlaced.png', await astro.clone().png({ progressive: true }).toBuffer());
  add('photo.webp', await astro.clone().webp().toBuffer());
  add('photo.avif', await astro.clone().avif().toBuffer());

  // 1,000-frame animations (the first frame is decoded).
  const frames = sharp(randomBytes(16 * 16 * FRAMES * 3, 5), { raw: { width: 16, height: 16 * FRAMES, channels: 3, pageHeight: 16 } });
  add(`anim-${FRAMES}-frames.gif`, await frames.clone().gif().toBuffer());
  add(`anim-${FRAMES}-frames.webp`, await frames.clone().webp({ lossless: true }).toBuffer());

  // BMP variants (RLE is refused as unsupported).
  const greyPalette = Array.from({ length: 256 }, (_, i) => [i, i, i] as [number, number, number]);
  const greyRows = Array.from({ length: BASE_PX }, (_, y) => grey.subarray(y * BASE_PX, (y + 1) * BASE_PX));
  add('photo-24bit.bmp', makeBmp({ width: BASE_PX, height: BASE_PX, bpp: 24, rows: bmpRows(rgb, BASE_PX, BASE_PX, 24) }));
  add('photo-24bit-top-down.bmp', makeBmp({ width: BASE_PX, height: BASE_PX, bpp: 24, topDown: true, rows: bmpRows(rgb, BASE_PX, BASE_PX, 24) }));
  add('photo-32bit.bmp', makeBmp({ width: BASE_PX, height: BASE_PX, bpp: 32, rows: bmpRows(rgb, BASE_PX, BASE_PX, 32) }));
  add('photo-8bit-palette.bmp', makeBmp({ width: BASE_PX, height: BASE_PX, bpp: 8, palette: greyPalette, rows: greyRows }));
  add('photo-1bit.bmp', makeBmp({ width: BASE_PX, height: BASE_PX, bpp: 1, palette: [[0, 0, 0], [255, 255, 255]], rows: greyRows.map((r) => Uint8Array.from({ length: BASE_PX / 8 }, (_, i) => r.subarray(i * 8, i * 8 + 8).reduce((b, v, k) => b | ((v > 127 ? 1 : 0) << (7 - k)), 0))) }));
  add('rle8.bmp', makeBmp({ width: 2, height: 1, bpp: 8, compression: 1, palette: [[0, 0, 0]], rows: [new Uint8Array([0, 0])] }));

  // Netpbm variants.
  add('photo-16bit.pgm', makePnm({ magic: 'P5', width: BASE_PX, height: BASE_PX, maxval: 65535, samples: Array.from(grey, (v) => v * 257) }));
  add('photo-16bit.ppm', makePnm({ magic: 'P6', width: BASE_PX, height: BASE_PX, maxval: 65535, samples: Array.from(rgb, (v) => v * 257) }));
  add('photo-plain.pgm', makePnm({ magic: 'P2', width: BASE_PX, height: BASE_PX, maxval: 255, samples: grey }));

  // Every format truncated to its first half.
  const whole: [string, Uint8Array][] = [
    ['png', u8(await astro.clone().png().toBuffer())],
    ['jpg', u8(await astro.clone().jpeg().toBuffer())],
    ['gif', u8(await astro.clone().gif().toBuffer())],
    ['webp', u8(await astro.clone().webp().toBuffer())],
    ['avif', u8(await astro.clone().avif().toBuffer())],
    ['bmp', makeBmp({ width: BASE_PX, height: BASE_PX, bpp: 24, rows: bmpRows(rgb, BASE_PX, BASE_PX, 24) })],
    ['pgm', makePnm({ magic: 'P5', width: BASE_PX, height: BASE_PX, maxval: 255, samples: grey })],
    ['ppm', makePnm({ magic: 'P6', width: BASE_PX, height: BASE_PX, maxval: 255, samples: rgb })],
  ];
  for (const [ext, bytes] of whole) add(`truncated.${ext}`, cut(bytes));

  // Random bytes behind each format's magic number.
  const magic: [string, Uint8Array][] = [
    ['png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
    ['jpg', new Uint8Array([0xff, 0xd8, 0xff, 0xe0])],
    ['gif', ascii('GIF89a')],
    ['webp', concatBytes(ascii('RIFF'), new Uint8Array([0, 16, 0, 0]), ascii('WEBPVP8 '))],
    ['avif', concatBytes(new Uint8Array([0, 0, 0, 0x1c]), ascii('ftypavif'))],
    ['bmp', ascii('BM')],
    ['pgm', ascii('P5\n')],
    ['ppm', ascii('P6\n')],
  ];
  magic.forEach(([ext, head], i) => add(`magic-random.${ext}`, concatBytes(head, randomBytes(4096, 100 + i))));
  return out;
}
