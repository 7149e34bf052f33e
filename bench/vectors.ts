/**
 * Real vectors for the index benchmarks: the default models' embeddings of real images (object:
 * the held-out Omniglot alphabets; face: the ORL faces through the face pipeline), grown to any
 * count by repeating them with small Gaussian noise and re-normalising (never uniform noise).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadOmniglot, OMNIGLOT_ZIP_PATH } from '@/lib/datasets/omniglot';
import { listFolderImages } from '@/lib/datasets';
import { initTf, type BackendName } from '@/lib/embedder/backend';
import { loadModel } from '@/lib/embedder/weights';
import { describeFaces, loadFaceModel, wholeImageInput } from '@/lib/faces';
import { decodeImage } from '@/lib/imaging';
import { createRng } from '@/lib/calibration/rng';
import { ROOT } from './common';

/** The default model folder of a kind. */
export async function defaultModelDir(kind: 'object' | 'face'): Promise<string> {
  const defaults = JSON.parse(await readFile(path.join(ROOT, 'models/defaults.json'), 'utf8')) as Record<string, string>;
  return path.join(ROOT, 'models', kind, defaults[kind]);
}

/** Embeddings of real images by the default model of `kind`. */
export async function realVectors(kind: 'object' | 'face', backend: BackendName | 'auto' = 'auto'): Promise<Float32Array[]> {
  await initTf(backend);
  const dir = await defaultModelDir(kind);
  if (kind === 'object') {
    const model = await loadModel(dir);
    if (model.manifest.input.type !== 'image') throw new Error('the object model takes images');
    const data = await loadOmniglot({ zipPath: path.join(ROOT, OMNIGLOT_ZIP_PATH), spec: model.manifest.input.preprocess, alphabets: model.manifest.data.heldOut, cacheDir: path.join(ROOT, 'runs/cache') });
    const out = await model.embed(data.identities.flatMap((i) => i.images));
    model.dispose();
    return out;
  }
  // ORL images are face crops: described whole, as the face pipeline does for small crops.
  const face = await loadFaceModel(dir);
  const images = await listFolderImages(path.join(ROOT, '../shared/data/orl-faces/att_faces.zip'));
  const inputs = await Promise.all(images.map(async (f) => wholeImageInput(await decodeImage(f.bytes))));
  const out = await face.embed(await describeFaces(face.models, inputs, { flip: face.config.alignment.flip }));
  face.dispose();
  return out;
}

/** `count` vectors: the base ones first, then noisy copies (sigma per component), all unit length. */
export function growVectors(base: readonly Float32Array[], count: number, sigma = 0.03, seed = 1): Float32Array[] {
  const rng = createRng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const out: Float32Array[] = [];
  for (let i = 0; i < count; i++) {
    const src = base[i % base.length];
    if (i < base.length) {
      out.push(src);
      continue;
    }
    const v = new Float32Array(src.length);
    let n = 0;
    for (let k = 0; k < v.length; k++) {
      v[k] = src[k] + sigma * gauss();
      n += v[k] * v[k];
    }
    n = Math.sqrt(n);
    for (let k = 0; k < v.length; k++) v[k] /= n;
    out.push(v);
  }
  return out;
}
