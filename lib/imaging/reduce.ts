/**
 * A downsize of grey images to the byte, what sharp's `resize(w, h, { fit: 'fill', kernel: 'lanczos2' })`
 * gives, in JavaScript: sharp costs about 0.5 ms per call before any pixel moves (its pipeline and
 * thread hand-off), which was most of an object search's preprocessing (bench/README section 6).
 *
 * libvips (8.18, inside sharp 0.35) downsizes by s in (1, 4) along each axis as two separable
 * passes, vertical then horizontal, each rounding to 8 bits, with no block shrink before them
 * (its block shrink starts at s ≥ 4). One pass, for output sample x of an axis of `len` input
 * samples shrunk by s = len / outLen:
 *
 *   n = 2·round(2s) + 1 taps; X = (x + ½)·s − 1; the taps read input samples
 *   ⌊X⌋ − (⌊n/2⌋ − 1) + i, i = 0..n−1, clamped to [0, len − 1] (edge copy);
 *   the phase t = ((⌊128·X⌋ mod 128) + 1) >> 1 ∈ 0..64, f = t / 64;
 *   w_i = L2((i − (f + n/2 − 1)) / s) / Σ_j L2(·), L2(u) = sinc(u)·sinc(u/2) for |u| < 2, else 0;
 *   k_i = trunc(4096·w_i); out = clamp((2048 + Σ k_i·p_i) >> 12, 0, 255).
 *
 * This was read off sharp's output, not its source, and is pinned against it: equal bytes on real
 * Omniglot drawings and on random images for s in [2, 4) (tests/imaging/reduce.test.ts). Below
 * s = 2 some samples differ by up to 3 levels, so `reducesExactly` keeps this to [2, 4) and
 * everything else goes through sharp.
 */

/** Shrink factors, per axis, for which `reduceGrey` equals sharp's bytes (measured). */
const MIN_SHRINK = 2;
const MAX_SHRINK = 4;

/** Fixed-point scale of the taps (libvips' interpolation scale, 12 bits). */
const TAP_SCALE = 4096;
/** Sub-pixel phases of the tap tables. */
const PHASES = 64;

/** Whether `reduceGrey` gives sharp's bytes for this resize. */
export function reducesExactly(width: number, height: number, outWidth: number, outHeight: number): boolean {
  const sx = width / outWidth;
  const sy = height / outHeight;
  return sx >= MIN_SHRINK && sx < MAX_SHRINK && sy >= MIN_SHRINK && sy < MAX_SHRINK;
}

const sinc = (u: number): number => (u === 0 ? 1 : Math.sin(Math.PI * u) / (Math.PI * u));
const lanczos2 = (u: number): number => (Math.abs(u) < 2 ? sinc(u) * sinc(u / 2) : 0);

/** Tap tables by shrink factor (a few image sizes in practice; bounded all the same). */
const tapsByShrink = new Map<number, Int32Array[]>();
const MAX_CACHED_SHRINKS = 64;

/** The fixed-point taps of each phase 0..PHASES for shrink `s` (n = 2·round(2s) + 1 each). */
function tapTables(s: number): Int32Array[] {
  const cached = tapsByShrink.get(s);
  if (cached) return cached;
  const n = 2 * Math.round(2 * s) + 1;
  const tables: Int32Array[] = [];
  for (let t = 0; t <= PHASES; t++) {
    const centre = t / PHASES + n / 2 - 1;
    const w = Array.from({ length: n }, (_, i) => lanczos2((i - centre) / s));
    const sum = w.reduce((a, b) => a + b, 0);
    tables.push(Int32Array.from(w, (v) => Math.trunc((v / sum) * TAP_SCALE)));
  }
  if (tapsByShrink.size >= MAX_CACHED_SHRINKS) tapsByShrink.clear();
  tapsByShrink.set(s, tables);
  return tables;
}

/**
 * One pass along an axis: `lines` lines of `len` samples (sample i of line l at
 * `l·lineStep + i·sampleStep`) to `outLen` samples each, written the same way into `out`.
 */
function reducePass(src: Uint8Array, out: Uint8Array, lines: number, len: number, outLen: number, lineStep: number, sampleStep: number, outLineStep: number, outSampleStep: number): void {
  const s = len / outLen;
  const tables = tapTables(s);
  const n = tables[0].length;
  const before = Math.floor(n / 2) - 1;
  for (let x = 0; x < outLen; x++) {
    const X = (x + 0.5) * s - 1;
    const taps = tables[((Math.floor(X * 2 * PHASES) & (2 * PHASES - 1)) + 1) >> 1];
    const first = Math.floor(X) - before;
    for (let l = 0; l < lines; l++) {
      const base = l * lineStep;
      let sum = TAP_SCALE >> 1;
      for (let i = 0; i < n; i++) {
        const j = Math.min(len - 1, Math.max(0, first + i));
        sum += src[base + j * sampleStep] * taps[i];
      }
      out[l * outLineStep + x * outSampleStep] = Math.min(255, Math.max(0, sum >> 12));
    }
  }
}

/**
 * `data` (grey, `width` x `height`, row-major) resized to `outWidth` x `outHeight` as sharp's
 * lanczos2 `fill` resize does; only where `reducesExactly` says so (asserted by the caller).
 */
export function reduceGrey(data: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): Uint8Array {
  // Vertical: each of the `width` columns, `height` -> `outHeight`.
  const tall = new Uint8Array(width * outHeight);
  reducePass(data, tall, width, height, outHeight, 1, width, 1, width);
  // Horizontal: each of the `outHeight` rows, `width` -> `outWidth`.
  const out = new Uint8Array(outWidth * outHeight);
  reducePass(tall, out, outHeight, width, outWidth, width, 1, outWidth, 1);
  return out;
}
