/**
 * The pretrained 128-d face descriptor: face-api's ResNet-34-like recognition net (a port of
 * dlib's `dlib_face_recognition_resnet_model_v1`), over 150x150 RGB face crops; on ONNX Runtime
 * where the models loaded it there (./descriptor-onnx.ts), else face-api's net on TF.js.
 */
import { assert } from '@/lib/errors';
import { rgbPixels, type DecodedImage } from '@/lib/imaging';
import type { Tensor3D } from '@/lib/embedder/backend';
import type { OnnxSession } from '@/lib/embedder/onnx-runtime';
import type { FaceModels } from './face-api';
import { DESCRIPTOR_INPUT_PX } from './align';

/** Length of a face descriptor. */
export const DESCRIPTOR_DIM = 128;
/** Faces per forward pass (memory stays ~100 MB on CPU). */
const BATCH = 16;

/**
 * Descriptors of aligned 150x150 faces, in order: raw (not normalised), or with `flip` the mean
 * of the face's and its mirror image's raw descriptors, L2-normalised: (d(x) + d(mirror x)) / ||.||,
 * the same for a face and its mirror image.
 */
export async function describeFaces(models: FaceModels, faces: readonly DecodedImage[], opts: { flip?: boolean } = {}): Promise<Float32Array[]> {
  const flip = opts.flip ?? false;
  const out: Float32Array[] = [];
  const step = flip ? BATCH / 2 : BATCH; // a flipped face is two net inputs
  for (let start = 0; start < faces.length; start += step) {
    const batch = faces.slice(start, start + step);
    for (const f of batch) assert(f.width === DESCRIPTOR_INPUT_PX && f.height === DESCRIPTOR_INPUT_PX, `descriptor input must be ${DESCRIPTOR_INPUT_PX}x${DESCRIPTOR_INPUT_PX}, got ${f.width}x${f.height}`);
    const list = models.descriptorOnnx ? await describeOnOnnx(models.descriptorOnnx, batch, flip) : await describeOnTfjs(models, batch, flip);
    assert(list.length === batch.length * (flip ? 2 : 1) && list.every((v) => v.length === DESCRIPTOR_DIM), `expected ${batch.length * (flip ? 2 : 1)} descriptors of ${DESCRIPTOR_DIM}, got ${list.length}`);
    if (!flip) out.push(...list);
    else for (let k = 0; k < batch.length; k++) out.push(l2Normalise(Float32Array.from(list[k], (v, j) => (v + list[k + batch.length][j]) / 2)));
  }
  return out;
}

/** Raw descriptors of `batch`, then with `flip` of its mirror images, on ONNX Runtime. */
async function describeOnOnnx(session: OnnxSession, batch: readonly DecodedImage[], flip: boolean): Promise<Float32Array[]> {
  const px = DESCRIPTOR_INPUT_PX;
  const n = batch.length * (flip ? 2 : 1);
  const input = new Float32Array(n * px * px * 3); // [n, 150, 150, 3] RGB 0..255
  batch.forEach((f, i) => {
    const rgb = rgbPixels(f);
    input.set(rgb, i * px * px * 3);
    // The mirror image: each row's pixels in reverse order (element by element: a subarray per pixel cost 3 ms per face).
    if (!flip) return;
    const mirror = (batch.length + i) * px * px * 3;
    for (let y = 0; y < px; y++) {
      for (let x = 0; x < px; x++) {
        for (let c = 0; c < 3; c++) input[mirror + (y * px + px - 1 - x) * 3 + c] = rgb[(y * px + x) * 3 + c];
      }
    }
  });
  const flat = await session.run(input, [n, px, px, 3]);
  return Array.from({ length: n }, (_, i) => flat.slice(i * DESCRIPTOR_DIM, (i + 1) * DESCRIPTOR_DIM));
}

/** Raw descriptors of `faces`, then with `flip` of their mirror images, with face-api's net on TF.js. */
async function describeOnTfjs(models: FaceModels, faces: readonly DecodedImage[], flip: boolean): Promise<Float32Array[]> {
  const { api, tf } = models;
  // face-api normalises (mean RGB, /255) inside the net.
  const batch = faces.map((f) => tf.tidy(() => tf.cast(tf.tensor3d(rgbPixels(f), [f.height, f.width, 3], 'int32'), 'float32') as Tensor3D)); // [150, 150, 3]
  // Mirror images: reverse the width axis of each [150, 150, 3].
  const inputs = flip ? [...batch, ...batch.map((t) => tf.reverse(t, 1) as typeof t)] : batch;
  try {
    const d = await api.nets.faceRecognitionNet.computeFaceDescriptor(inputs);
    return Array.isArray(d) ? d : [d];
  } finally {
    for (const t of inputs) t.dispose();
  }
}

/** `v / ||v||`: the embedding of the plain-descriptor model (distances in [0, 2]). */
export function l2Normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(Math.max(s, 1e-24));
  return Float32Array.from(v, (x) => x / n);
}
