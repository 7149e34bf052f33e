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

/** Raw (not normalised) descriptors of aligned 150x150 faces, in order. */
export async function describeFaces(models: FaceModels, faces: readonly DecodedImage[]): Promise<Float32Array[]> {
  const { api, tf } = models;
  const out: Float32Array[] = [];
  for (let start = 0; start < faces.length; start += BATCH) {
    const batch = faces.slice(start, start + BATCH).map((f) => {
      assert(f.width === DESCRIPTOR_INPUT_PX && f.height === DESCRIPTOR_INPUT_PX, `descriptor input must be ${DESCRIPTOR_INPUT_PX}x${DESCRIPTOR_INPUT_PX}, got ${f.width}x${f.height}`);
      return tf.tidy(() => {
        const x = tf.tensor3d(f.data, [f.height, f.width, f.channels], 'int32'); // [150, 150, ch]
        // Grey -> RGB; RGBA -> RGB. face-api normalises (mean RGB, /255) inside the net.
        const rgb = f.channels === 1 ? tf.tile(x, [1, 1, 3]) : f.channels === 4 ? tf.slice(x, [0, 0, 0], [-1, -1, 3]) : x;
        return tf.cast(rgb, 'float32') as typeof x; // [150, 150, 3]
      });
    });
    try {
      const d = await api.nets.faceRecognitionNet.computeFaceDescriptor(batch);
      const list = Array.isArray(d) ? d : [d];
      assert(list.length === batch.length && list.every((v) => v.length === DESCRIPTOR_DIM), `expected ${batch.length} descriptors of ${DESCRIPTOR_DIM}`);
      out.push(...list);
    } finally {
      for (const t of batch) t.dispose();
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
