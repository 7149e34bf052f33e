/**
 * The pretrained 128-d face descriptor: face-api's ResNet-34-like recognition net (a port of
 * dlib's `dlib_face_recognition_resnet_model_v1`), over 150x150 RGB face crops.
 */
import { assert } from '@/lib/errors';
import type { DecodedImage } from '@/lib/imaging';
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
  const { api, tf } = models;
  const flip = opts.flip ?? false;
  const out: Float32Array[] = [];
  const step = flip ? BATCH / 2 : BATCH; // a flipped face is two net inputs
  for (let start = 0; start < faces.length; start += step) {
    const batch = faces.slice(start, start + step).map((f) => {
      assert(f.width === DESCRIPTOR_INPUT_PX && f.height === DESCRIPTOR_INPUT_PX, `descriptor input must be ${DESCRIPTOR_INPUT_PX}x${DESCRIPTOR_INPUT_PX}, got ${f.width}x${f.height}`);
      return tf.tidy(() => {
        const x = tf.tensor3d(f.data, [f.height, f.width, f.channels], 'int32'); // [150, 150, ch]
        // Grey -> RGB; RGBA -> RGB. face-api normalises (mean RGB, /255) inside the net.
        const rgb = f.channels === 1 ? tf.tile(x, [1, 1, 3]) : f.channels === 4 ? tf.slice(x, [0, 0, 0], [-1, -1, 3]) : x;
        return tf.cast(rgb, 'float32') as typeof x; // [150, 150, 3]
      });
    });
    // Mirror images: reverse the width axis of each [150, 150, 3].
    const inputs = flip ? [...batch, ...batch.map((t) => tf.reverse(t, 1) as typeof t)] : batch;
    try {
      const d = await api.nets.faceRecognitionNet.computeFaceDescriptor(inputs);
      const list = Array.isArray(d) ? d : [d];
      assert(list.length === inputs.length && list.every((v) => v.length === DESCRIPTOR_DIM), `expected ${inputs.length} descriptors of ${DESCRIPTOR_DIM}`);
      if (!flip) out.push(...list);
      else for (let k = 0; k < batch.length; k++) out.push(l2Normalise(Float32Array.from(list[k], (v, j) => (v + list[k + batch.length][j]) / 2)));
    } finally {
      for (const t of inputs) t.dispose();
    }
  }
  return out;
}

/** `v / ||v||`: the embedding of the plain-descriptor model (distances in [0, 2]). */
export function l2Normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(Math.max(s, 1e-24));
  return Float32Array.from(v, (x) => x / n);
}
