/** Embeddings as stored in the database: float32 little-endian bytes. */
import { assert } from '@/lib/errors';

/** Encodes an embedding for the `Embedding.vector` column. */
export function encodeVector(v: Float32Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(v.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i], true);
  return out;
}

/** Decodes an `Embedding.vector` column. */
export function decodeVector(bytes: Uint8Array): Float32Array {
  assert(bytes.byteLength % 4 === 0, `embedding bytes must be a multiple of 4, got ${bytes.byteLength}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
