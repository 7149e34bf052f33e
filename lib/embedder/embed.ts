/**
 * Batched inference: Float32Array inputs in, L2-normalised Float32Array embeddings out.
 * Every batch runs in `tf.tidy`, so `tf.memory().numTensors` is unchanged after a call.
 * Test-time shifts (an image tower's `testShifts`): an image's embedding is the normalised mean of the
 * embeddings of the image as is and moved one pixel right, left, down and up (vacated pixels 0).
 */
import { InputError } from '@/lib/errors';
import type { Tf } from './backend';
import { towerInputShape, type LayersModel, type TowerSpec } from './tower';

/** Default inference batch size: large enough to amortise call overhead, small enough for 2 cores. */
export const EMBED_BATCH_SIZE = 256;

/** [dy, dx] of the test-time shifts: as is, right, left, down, up. */
export const TEST_SHIFTS: readonly (readonly [number, number])[] = [[0, 0], [0, 1], [0, -1], [1, 0], [-1, 0]];

type Tensor4D = ReturnType<Tf['tensor4d']>;

/** `x` [n, h, w, c] moved by dy rows and dx columns, zeros shifted in. */
function shifted(tf: Tf, x: Tensor4D, dy: number, dx: number): Tensor4D {
  if (dy === 0 && dx === 0) return x;
  const [n, h, w, c] = x.shape;
  const padded = tf.pad(x, [[0, 0], [Math.max(dy, 0), Math.max(-dy, 0)], [Math.max(dx, 0), Math.max(-dx, 0)], [0, 0]]);
  return padded.slice([0, Math.max(-dy, 0), Math.max(-dx, 0), 0], [n, h, w, c]);
}

/** Options of `embedBatch`. */
export interface EmbedOptions {
  /** Inputs per forward pass (default `EMBED_BATCH_SIZE`). */
  batchSize?: number;
  /** Average over the test-time shifts (image inputs [h, w, c] only). */
  testShifts?: boolean;
}

/** Whether a tower spec asks for test-time shifts. */
export function towerTestShifts(tower: TowerSpec): boolean {
  return tower.type !== 'mlp' && tower.testShifts === true;
}

/** `embedBatch` with the input shape and test-time shifts a tower spec implies. */
export function embedTower(tf: Tf, model: LayersModel, tower: TowerSpec, inputs: readonly Float32Array[]): Promise<Float32Array[]> {
  return embedBatch(tf, model, inputs, towerInputShape(tower), { testShifts: towerTestShifts(tower) });
}

/**
 * Embeds `inputs` (each one sample of `inputShape`, e.g. [28, 28, 1] HWC or [128]) with `model`
 * in batches. Returns one embedding per input, in order.
 */
export async function embedBatch(
  tf: Tf,
  model: LayersModel,
  inputs: readonly Float32Array[],
  inputShape: readonly number[],
  { batchSize = EMBED_BATCH_SIZE, testShifts = false }: EmbedOptions = {},
): Promise<Float32Array[]> {
  if (testShifts && inputShape.length !== 3) throw new InputError('invalid_config', `test-time shifts need image inputs [h, w, c], got [${inputShape.join(', ')}]`);
  const out: Float32Array[] = [];
  for (let start = 0; start < inputs.length; start += batchSize) {
    const chunk = inputs.slice(start, start + batchSize);
    const flat = packInputs(chunk, inputShape);
    const y = tf.tidy(() => {
      const x = tf.tensor(flat, [chunk.length, ...inputShape]);
      if (!testShifts) return model.predict(x) as ReturnType<Tf['tensor2d']>; // [n, dim]
      const sum = tf.addN(TEST_SHIFTS.map(([dy, dx]) => model.predict(shifted(tf, x as Tensor4D, dy, dx)) as ReturnType<Tf['tensor2d']>));
      return sum.div(tf.maximum(sum.square().sum(-1, true), 1e-12).sqrt()) as ReturnType<Tf['tensor2d']>;
    });
    const data = (await y.data()) as Float32Array;
    y.dispose();
    out.push(...splitRows(data, chunk.length));
  }
  return out;
}

/** Samples of `inputShape` packed row-major into one buffer [n, ...inputShape]; checks each length. */
export function packInputs(chunk: readonly Float32Array[], inputShape: readonly number[]): Float32Array {
  const sampleLength = inputShape.reduce((a, b) => a * b, 1);
  const flat = new Float32Array(chunk.length * sampleLength);
  chunk.forEach((x, i) => {
    if (x.length !== sampleLength) {
      throw new InputError('embedding_dim_mismatch', `expected input of ${sampleLength} values (${inputShape.join('x')}), got ${x.length}`);
    }
    flat.set(x, i * sampleLength);
  });
  return flat;
}

/** A row-major [n, dim] buffer as n copied rows. */
export function splitRows(data: Float32Array, n: number): Float32Array[] {
  const dim = data.length / n;
  return Array.from({ length: n }, (_, i) => data.slice(i * dim, (i + 1) * dim));
}
