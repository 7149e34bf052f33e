/**
 * Geometry on decoded images: rotated square crops (face alignment), padding (detector retries),
 * resizing and pasting (synthetic scenes), and box overlap measures.
 */
import { assert } from '@/lib/errors';
import { assertImage, sharpFromImage, toRawPixels } from './pixels';
import type { Box, DecodedImage, PaddedImage, RawPixels } from './types';

/** Below this source-pixels-per-output-pixel ratio bilinear sampling alone does not alias visibly. */
const PREFILTER_MIN_SCALE = 1.25;

function assertGrey(background: number): void {
  assert(Number.isInteger(background) && background >= 0 && background <= 255, `background must be 0..255, got ${background}`);
}

/**
 * Box-filters the part of `img` under a crop (via sharp) when the crop shrinks it, so the bilinear
 * sampler that follows does not alias. Returns the pixels to sample and the map from source coordinates.
 */
async function prefilter(
  img: DecodedImage,
  bounds: { x0: number; y0: number; x1: number; y1: number },
  scale: number,
): Promise<{ src: RawPixels; originX: number; originY: number; factorX: number; factorY: number } | null> {
  const left = Math.max(0, Math.floor(bounds.x0) - 2);
  const top = Math.max(0, Math.floor(bounds.y0) - 2);
  const right = Math.min(img.width, Math.ceil(bounds.x1) + 2);
  const bottom = Math.min(img.height, Math.ceil(bounds.y1) + 2);
  if (right <= left || bottom <= top) return null; // the crop lies entirely outside the image
  const regionW = right - left;
  const regionH = bottom - top;
  const outW = Math.max(1, Math.round(regionW / scale));
  const outH = Math.max(1, Math.round(regionH / scale));
  const pipeline = sharpFromImage(img)
    .extract({ left, top, width: regionW, height: regionH })
    .resize(outW, outH, { fit: 'fill', kernel: 'lanczos2' });
  // sharp writes 1-band raw input back out as sRGB unless the space is pinned to b-w.
  const src = await toRawPixels(img.channels === 1 ? pipeline.toColourspace('b-w') : pipeline);
  assert(src.channels === img.channels, `prefilter changed channels ${img.channels} -> ${src.channels}`);
  return { src, originX: left, originY: top, factorX: outW / regionW, factorY: outH / regionH };
}

/**
 * Crops `box` out of `img`, turned by `angleRad` about the box centre, into an `outSizePx` square
 * (a non-square box is stretched to fit). Angles are in image coordinates (x right, y down): the
 * output's +x axis runs along `(cos a, sin a)` in the source, so passing
 * `atan2(rightEye.y - leftEye.y, rightEye.x - leftEye.x)` levels the eyes. Pixels outside the
 * image become `background` (grey level 0..255; alpha 255). Bilinear sampling; shrinking crops
 * are box-filtered first.
 */
export async function cropImage(
  img: DecodedImage,
  box: Box,
  outSizePx: number,
  angleRad = 0,
  background = 0,
): Promise<DecodedImage> {
  assertImage(img);
  assert(Number.isInteger(outSizePx) && outSizePx > 0 && outSizePx <= 8192, `outSizePx must be an integer in 1..8192, got ${outSizePx}`);
  assert(box.width > 0 && box.height > 0 && [box.x, box.y, box.width, box.height].every(Number.isFinite), `box must be finite with positive size, got ${JSON.stringify(box)}`);
  assert(Number.isFinite(angleRad), `angleRad must be finite, got ${angleRad}`);
  assertGrey(background);

  const cos = Math.cos(angleRad);
  const sin = Math.sin(angleRad);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const stepX = box.width / outSizePx;
  const stepY = box.height / outSizePx;
  // Source point of output pixel centre (u + 0.5, v + 0.5): centre + R(angle) * offset.
  const sourceAt = (u: number, v: number): [number, number] => {
    const dx = (u + 0.5) * stepX - box.width / 2;
    const dy = (v + 0.5) * stepY - box.height / 2;
    return [cx + cos * dx - sin * dy, cy + sin * dx + cos * dy];
  };

  let src: RawPixels = img;
  let map = (x: number, y: number): [number, number] => [x, y];
  const scale = Math.max(stepX, stepY);
  if (scale > PREFILTER_MIN_SCALE) {
    const hx = (Math.abs(cos) * box.width + Math.abs(sin) * box.height) / 2;
    const hy = (Math.abs(sin) * box.width + Math.abs(cos) * box.height) / 2;
    const reduced = await prefilter(img, { x0: cx - hx, y0: cy - hy, x1: cx + hx, y1: cy + hy }, scale);
    if (reduced) {
      src = reduced.src;
      map = (x, y) => [(x - reduced.originX) * reduced.factorX, (y - reduced.originY) * reduced.factorY];
    }
  }

  const ch = img.channels;
  const out = new Uint8Array(outSizePx * outSizePx * ch);
  const fill = (o: number) => {
    for (let c = 0; c < ch; c++) out[o + c] = ch === 4 && c === 3 ? 255 : background;
  };
  for (let v = 0; v < outSizePx; v++) {
    for (let u = 0; u < outSizePx; u++) {
      const o = (v * outSizePx + u) * ch;
      const [sx, sy] = sourceAt(u, v);
      // Outside the original image (not just the prefiltered region): background.
      if (sx < 0 || sy < 0 || sx >= img.width || sy >= img.height) {
        fill(o);
        continue;
      }
      const [mx, my] = map(sx, sy);
      bilinear(src, mx - 0.5, my - 0.5, out, o);
    }
  }
  return { width: outSizePx, height: outSizePx, channels: ch, data: out, format: img.format };
}

/** Bilinear sample at continuous pixel-centre coordinates (x, y), clamping to the edge. */
function bilinear(src: RawPixels, x: number, y: number, out: Uint8Array, o: number): void {
  const { width, height, channels: ch, data } = src;
  const xc = Math.min(Math.max(x, 0), width - 1);
  const yc = Math.min(Math.max(y, 0), height - 1);
  const x0 = Math.floor(xc);
  const y0 = Math.floor(yc);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const fx = xc - x0;
  const fy = yc - y0;
  const i00 = (y0 * width + x0) * ch;
  const i01 = (y0 * width + x1) * ch;
  const i10 = (y1 * width + x0) * ch;
  const i11 = (y1 * width + x1) * ch;
  for (let c = 0; c < ch; c++) {
    const top = data[i00 + c] * (1 - fx) + data[i01 + c] * fx;
    const bottom = data[i10 + c] * (1 - fx) + data[i11 + c] * fx;
    out[o + c] = Math.round(top * (1 - fy) + bottom * fy);
  }
}

/**
 * Pads `img` by `Math.round(fx * width)` columns left and right and `Math.round(fy * height)` rows top
 * and bottom (`fraction` is both, or `{x: fx, y: fy}`), filled with grey level `background` (alpha 255).
 * The face detector retries on an image padded by 0.5; `offsetX`/`offsetY` map its boxes back (`x - offsetX`).
 */
export function padImage(img: DecodedImage, fraction: number | { x: number; y: number }, background = 0): PaddedImage {
  assertImage(img);
  const { x: fx, y: fy } = typeof fraction === 'number' ? { x: fraction, y: fraction } : fraction;
  for (const f of [fx, fy]) assert(Number.isFinite(f) && f >= 0 && f <= 10, `fraction must be in 0..10, got ${f}`);
  assertGrey(background);
  const offsetX = Math.round(fx * img.width);
  const offsetY = Math.round(fy * img.height);
  const width = img.width + 2 * offsetX;
  const height = img.height + 2 * offsetY;
  const ch = img.channels;
  const data = new Uint8Array(width * height * ch);
  if (ch === 4) {
    for (let i = 0; i < data.length; i += 4) {
      data[i] = background;
      data[i + 1] = background;
      data[i + 2] = background;
      data[i + 3] = 255;
    }
  } else {
    data.fill(background);
  }
  const rowBytes = img.width * ch;
  for (let y = 0; y < img.height; y++) {
    const from = y * rowBytes;
    data.set(img.data.subarray(from, from + rowBytes), ((y + offsetY) * width + offsetX) * ch);
  }
  return { width, height, channels: ch, data, format: img.format, offsetX, offsetY };
}

/** Target of `resizeImage`. */
export interface ResizeSpec {
  /** Output width. */
  widthPx: number;
  /** Output height. */
  heightPx: number;
  /** `fill` stretches (default); `cover` keeps the aspect ratio and centre-crops the overflow. */
  fit?: 'fill' | 'cover';
  /** Output channels (alpha flattened onto black); default: the input's. */
  channels?: 1 | 3;
}

/** `img` resized to exactly `widthPx` x `heightPx` with lanczos2 (area-preserving for large factors). */
export async function resizeImage(img: DecodedImage, spec: ResizeSpec): Promise<DecodedImage> {
  assertImage(img);
  const { widthPx, heightPx, fit = 'fill', channels } = spec;
  assert([widthPx, heightPx].every((v) => Number.isInteger(v) && v > 0 && v <= 16384), `resize target must be integers in 1..16384, got ${widthPx}x${heightPx}`);
  let pipeline = sharpFromImage(img);
  if (channels !== undefined && img.channels === 4) pipeline = pipeline.flatten({ background: { r: 0, g: 0, b: 0 } });
  pipeline = pipeline.resize(widthPx, heightPx, { fit, position: 'centre', kernel: 'lanczos2' });
  const out = channels ?? img.channels;
  // sharp writes 1-band raw input back out as sRGB unless the space is pinned to b-w.
  if (out === 1) pipeline = pipeline.toColourspace('b-w');
  else if (out !== img.channels) pipeline = pipeline.toColourspace('srgb');
  const raw = await toRawPixels(pipeline);
  assert(raw.width === widthPx && raw.height === heightPx && raw.channels === out, `resize returned ${raw.width}x${raw.height}x${raw.channels}, expected ${widthPx}x${heightPx}x${out}`);
  return { ...raw, format: img.format };
}

/**
 * `img` shrunk (lanczos2, area-preserving for large factors) so that its long side is at most
 * `maxSidePx`, with the factors applied per axis (`x_small = x * scaleX`); the image itself, with
 * factors 1, when it already fits. The face detector works on this, never on a 36 MP original.
 */
export async function shrinkImage(img: DecodedImage, maxSidePx: number): Promise<{ image: DecodedImage; scaleX: number; scaleY: number }> {
  assertImage(img);
  assert(Number.isInteger(maxSidePx) && maxSidePx > 0, `maxSidePx must be a positive integer, got ${maxSidePx}`);
  const factor = maxSidePx / Math.max(img.width, img.height);
  if (factor >= 1) return { image: img, scaleX: 1, scaleY: 1 };
  const width = Math.max(1, Math.round(img.width * factor));
  const height = Math.max(1, Math.round(img.height * factor));
  const image = await resizeImage(img, { widthPx: width, heightPx: height });
  return { image, scaleX: width / img.width, scaleY: height / img.height };
}

/**
 * Copies `img` into `canvas` (changed in place) with its top-left corner at integer (`x`, `y`);
 * `img` must lie wholly inside `canvas` and have its channel count.
 */
export function pasteImage(canvas: RawPixels, img: RawPixels, x: number, y: number): void {
  assertImage(canvas);
  assertImage(img);
  assert(img.channels === canvas.channels, `paste needs equal channel counts, got ${img.channels} into ${canvas.channels}`);
  assert(Number.isInteger(x) && Number.isInteger(y) && x >= 0 && y >= 0 && x + img.width <= canvas.width && y + img.height <= canvas.height,
    `a ${img.width}x${img.height} image at (${x}, ${y}) does not fit a ${canvas.width}x${canvas.height} canvas`);
  const ch = img.channels;
  const rowBytes = img.width * ch;
  for (let row = 0; row < img.height; row++) {
    canvas.data.set(img.data.subarray(row * rowBytes, (row + 1) * rowBytes), ((y + row) * canvas.width + x) * ch);
  }
}

/** Intersection over union of two boxes: area(a ∩ b) / (area(a) + area(b) - area(a ∩ b)). */
export function boxIou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** Whether the centre of `inner` lies inside `outer` (edges included). */
export function centreInside(inner: Box, outer: Box): boolean {
  const cx = inner.x + inner.width / 2;
  const cy = inner.y + inner.height / 2;
  return cx >= outer.x && cx <= outer.x + outer.width && cy >= outer.y && cy <= outer.y + outer.height;
}
