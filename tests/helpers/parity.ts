// Parity of the two inference runtimes (ONNX Runtime against TF.js) on the same inputs.
import { expect } from 'vitest';

/** Largest |a_i − b_i| over all rows and components. */
export function maxAbsDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let max = 0;
  a.forEach((row, i) => row.forEach((v, j) => (max = Math.max(max, Math.abs(v - b[i][j])))));
  return max;
}

/** A model as both runtimes load it: its runtime and its embeddings. */
interface Embedder {
  runtime: string;
  embed(inputs: Float32Array[]): Promise<Float32Array[]>;
  dispose(): void;
}

/** Expects `onnx` to embed `inputs` within 1e-5 of `tfjs` in every component; disposes both. */
export async function expectSameEmbeddings(tfjs: Embedder, onnx: Embedder, inputs: Float32Array[]): Promise<void> {
  expect([tfjs.runtime, onnx.runtime]).toEqual(['tfjs', 'onnx']);
  const expected = await tfjs.embed(inputs);
  const got = await onnx.embed(inputs);
  expect(got).toHaveLength(inputs.length);
  expect(maxAbsDiff(got, expected)).toBeLessThanOrEqual(1e-5);
  tfjs.dispose();
  onnx.dispose();
}
