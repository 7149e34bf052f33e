/**
 * Image augmentation for training, in plain JS on HWC Float32Arrays (28x28 images cost
 * microseconds): 90-degree rotations that make new identities (Vinyals et al. 2016, "Matching
 * Networks", section 4.1.1) and a small random affine jitter per draw. Pixels outside the source
 * read 0 — the background of ink = 1 images (PreprocessSpec `invert: true`).
 */
import type { Rng } from '@/lib/calibration/rng';

/** Limits of the random affine jitter. */
export interface AffineLimits {
  /** Max rotation either way, degrees. */
  rotateDeg: number;
  /** Max relative scale change either way (0.1 = 90%..110%). */
  scale: number;
  /** Max shear either way (x shear factor). */
  shear: number;
  /** Max shift either way, as a share of the image side. */
  shift: number;
}

/** Rotates a square HWC image by `quarterTurns` x 90 degrees counter-clockwise. */
export function rotate90(image: Float32Array, sizePx: number, channels: number, quarterTurns: number): Float32Array {
  const q = ((quarterTurns % 4) + 4) % 4;
  if (q === 0) return image;
  const out = new Float32Array(image.length);
  const last = sizePx - 1;
  for (let y = 0; y < sizePx; y++) {
    for (let x = 0; x < sizePx; x++) {
      // Source pixel for destination (x, y).
      const [sx, sy] = q === 1 ? [last - y, x] : q === 2 ? [last - x, last - y] : [y, last - x];
      for (let c = 0; c < channels; c++) out[(y * sizePx + x) * channels + c] = image[(sy * sizePx + sx) * channels + c];
    }
  }
  return out;
}

/**
 * Applies a random affine map (rotation, scale, shear, shift within `limits`, drawn from `rng`)
 * about the image centre with bilinear sampling. Returns a new array.
 */
export function randomAffine(image: Float32Array, sizePx: number, channels: number, limits: AffineLimits, rng: Rng): Float32Array {
  const theta = (rng.uniform(-limits.rotateDeg, limits.rotateDeg) * Math.PI) / 180;
  const s = 1 + rng.uniform(-limits.scale, limits.scale);
  const sh = rng.uniform(-limits.shear, limits.shear);
  const tx = rng.uniform(-limits.shift, limits.shift) * sizePx;
  const ty = rng.uniform(-limits.shift, limits.shift) * sizePx;
  // Forward map A = R(theta) * Shear(sh) * s; we sample the source at A^-1 (dst - centre - t) + centre.
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const a11 = s * cos;
  const a12 = s * (cos * sh - sin);
  const a21 = s * sin;
  const a22 = s * (sin * sh + cos);
  const det = a11 * a22 - a12 * a21;
  const i11 = a22 / det;
  const i12 = -a12 / det;
  const i21 = -a21 / det;
  const i22 = a11 / det;
  const c = (sizePx - 1) / 2;
  const out = new Float32Array(image.length);
  for (let y = 0; y < sizePx; y++) {
    for (let x = 0; x < sizePx; x++) {
      const dx = x - c - tx;
      const dy = y - c - ty;
      const sx = i11 * dx + i12 * dy + c;
      const sy = i21 * dx + i22 * dy + c;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let ch = 0; ch < channels; ch++) {
        const at = (px: number, py: number): number =>
          px < 0 || py < 0 || px >= sizePx || py >= sizePx ? 0 : image[(py * sizePx + px) * channels + ch];
        const v =
          at(x0, y0) * (1 - fx) * (1 - fy) + at(x0 + 1, y0) * fx * (1 - fy) + at(x0, y0 + 1) * (1 - fx) * fy + at(x0 + 1, y0 + 1) * fx * fy;
        out[(y * sizePx + x) * channels + ch] = v;
      }
    }
  }
  return out;
}
