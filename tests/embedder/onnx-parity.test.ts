// Issue 20 item 2: the committed default object model (an ensemble of a 32x32 and a 28x28 conv
// tower with batch norm) embeds 1,000 real held-out Omniglot drawings the same under ONNX Runtime
// as under TF.js, to 1e-5 in every component; so does the default photo model (the pinned
// MobileNetV2 backbone exported in memory, then the head) on real grocery-store photos.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listFolderImages } from '@/lib/datasets/folder';
import { loadOmniglot, OMNIGLOT_SPLIT } from '@/lib/datasets/omniglot';
import { initTf } from '@/lib/embedder/backend';
import { loadServingModel } from '@/lib/embedder/photo-model';
import { loadModel } from '@/lib/embedder/weights';
import { decodeImage, preprocessImage } from '@/lib/imaging';
import { TEST_BACKEND } from '../helpers/backend';
import { GROCERY_STORE, OMNIGLOT_ZIP } from '../helpers/data';
import { expectSameEmbeddings } from '../helpers/parity';

const REPO = path.resolve(import.meta.dirname, '../..');

let modelDir: string;
let photoDir: string;
beforeAll(async () => {
  await initTf(TEST_BACKEND);
  const defaults = JSON.parse(await readFile(path.join(REPO, 'models/defaults.json'), 'utf8')) as { object: string; photo: string };
  modelDir = path.join(REPO, 'models/object', defaults.object);
  photoDir = path.join(REPO, 'models/object', defaults.photo);
});

describe('loadModel: ONNX Runtime against TF.js on the default object model', () => {
  it('embeds 1,000 held-out Omniglot drawings within 1e-5 of TF.js', async () => {
    const tfjs = await loadModel(modelDir, { inference: 'tfjs' });
    const onnx = await loadModel(modelDir, { inference: 'onnx' });
    if (tfjs.manifest.input.type !== 'image') throw new Error('the object model takes images');
    // 50 held-out characters x 20 drawers, preprocessed as the manifest says.
    const data = await loadOmniglot({ zipPath: OMNIGLOT_ZIP, spec: tfjs.manifest.input.preprocess, alphabets: OMNIGLOT_SPLIT.heldOut, maxIdentities: 50 });
    const inputs = data.identities.flatMap((id) => id.images);
    expect(inputs).toHaveLength(1000);
    await expectSameEmbeddings(tfjs, onnx, inputs);
  }, 120_000);
});

describe('loadServingModel: the photo model under ONNX Runtime against TF.js', () => {
  it('embeds 96 grocery-store photos within 1e-5 of TF.js, backbone and head both exported', async () => {
    const tfjs = await loadServingModel(photoDir, { inference: 'tfjs', backbones: new Map() });
    const onnx = await loadServingModel(photoDir, { inference: 'onnx', backbones: new Map() });
    const spec = tfjs.manifest.backbone!.preprocess;
    // The first 6 products' 16 photos each, as the service preprocesses them.
    const files = (await listFolderImages(GROCERY_STORE)).slice(0, 96);
    const inputs = await Promise.all(files.map(async (f) => preprocessImage(await decodeImage(f.bytes), spec)));
    await expectSameEmbeddings(tfjs, onnx, inputs);
  }, 120_000);
});
