/**
 * Batched inference: Float32Array inputs in, L2-normalised Float32Array embeddings out.
 * Every batch runs in `tf.tidy`, so `tf.memory().numTensors` is unchanged after a call.
 */
import { InputError } from '@/lib/errors';
import type { Tf } from './backend';
import type { LayersModel } from './tower';

/** Default inference batch size: large enough to amortise call overhead, small enough for 2 cores. */
export const EMBED_BATCH_SIZE = 256;

/**
 * Embeds `inputs` (each one sample of `inputShape`, e.g. [28, 28, 1] HWC or [128]) with `model`
 * in batches of `batchSize`. Returns one embedding per input, in order.
 */
export async function embedBatch(
  tf: Tf,
  model: LayersModel,
  inputs: readonly Float32Array[],
  inputShape: readonly number[],
  batchSize = EMBED_BATCH_SIZE,
): Promise<Float32Array[]> {
  const sampleLength = inputShape.reduce((a, b) => a * b, 1);
  const out: Float32Array[] = [];
  for (let start = 0; start < inputs.length; start += batchSize) {
    const chunk = inputs.slice(start, start + batchSize);
    const flat = new Float32Array(chunk.length * sampleLength);
    chunk.forEach((x, i) => {
      if (x.length !== sampleLength) {
        throw new InputError('embedding_dim_mismatch', `expected input of ${sampleLength} values (${inputShape.join('x')}), got ${x.length}`);
      }
      flat.set(x, i * sampleLength);
    });
    const y = tf.tidy(() => model.predict(tf.tensor(flat, [chunk.length, ...inputShape])) as ReturnType<Tf['tensor2d']>); // [n, dim]
    const data = (await y.data()) as Float32Array;
    y.dispose();
    const dim = data.length / chunk.length;
    for (let i = 0; i < chunk.length; i++) out.push(data.slice(i * dim, (i + 1) * dim));
  }
  return out;
}
