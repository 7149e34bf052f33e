// face-api's nets on ONNX Runtime (exported in memory from their verified weights) against
// face-api on TF.js: the descriptor (lib/faces/descriptor-onnx.ts) on 48 real CFP photos, grey and
// colour, raw and flip-averaged, within 1e-5 in every component; the 68 landmarks
// (lib/faces/landmarks-onnx.ts) on 40 CFP face crops within 1e-5 of the crop side; and where
// onnxruntime-node does not load, `auto` keeps BlazeFace and both nets on TF.js, a log line each.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listFolderImages } from '@/lib/datasets/folder';
import { DESCRIPTOR_INPUT_PX } from '@/lib/faces/align';
import { describeFaces } from '@/lib/faces/descriptor';
import { LANDMARK_INPUT_PX } from '@/lib/faces/landmarks-onnx';
import { loadFaceModels } from '@/lib/faces/face-api';
import { cropImage, decodeImage, resizeImage, type DecodedImage } from '@/lib/imaging';
import { CFP_FACES } from '../helpers/data';
import { maxAbsDiff } from '../helpers/parity';
import { REPO_ROOT, runWithoutOnnxRuntime } from '../helpers/without-onnxruntime';
import { initTestTf } from './fixtures';

let chips: DecodedImage[];
beforeAll(async () => {
  await initTestTf();
  // The first 48 CFP photos as 150 px chips (the descriptor's input), every fourth in grey.
  const files = (await listFolderImages(CFP_FACES)).slice(0, 48);
  chips = await Promise.all(files.map(async (f, i) => resizeImage(await decodeImage(f.bytes), { widthPx: DESCRIPTOR_INPUT_PX, heightPx: DESCRIPTOR_INPUT_PX, channels: i % 4 === 0 ? 1 : 3 })));
});

describe('face-api nets on ONNX Runtime', () => {
  it('matches face-api on TF.js within 1e-5 on 48 CFP photos, raw and flip-averaged', async () => {
    const tfjs = await loadFaceModels({ inference: 'tfjs' });
    const onnx = await loadFaceModels({ inference: 'onnx' });
    expect([tfjs.descriptorOnnx, tfjs.landmarksOnnx, onnx.descriptorOnnx === null, onnx.landmarksOnnx === null]).toEqual([null, null, false, false]);
    for (const flip of [false, true]) {
      const expected = await describeFaces(tfjs, chips, { flip });
      const got = await describeFaces(onnx, chips, { flip });
      expect(got).toHaveLength(48);
      expect(Math.max(...expected.flatMap((d) => [...d].map(Math.abs))), 'descriptors are not all zeros').toBeGreaterThan(0.1);
      expect(maxAbsDiff(got, expected)).toBeLessThanOrEqual(1e-5);
    }
  }, 120_000);

  it('places the 68 landmarks as face-api on TF.js does, within 1e-5 of the crop side, on 40 CFP face crops', async () => {
    const tfjs = await loadFaceModels({ inference: 'tfjs' });
    const onnx = await loadFaceModels({ inference: 'onnx' });
    const px = LANDMARK_INPUT_PX;
    let max = 0;
    for (const f of (await listFolderImages(CFP_FACES)).slice(0, 40)) {
      const img = await decodeImage(f.bytes);
      // The face fills a CFP photo: its inner part, as a landmark crop, RGB.
      const crop = await cropImage(img, { x: 10, y: 10, width: img.width - 20, height: img.height - 20 }, px);
      const rgb = Float32Array.from({ length: px * px * 3 }, (_, k) => crop.data[Math.floor(k / 3) * crop.channels + (crop.channels === 1 ? 0 : k % 3)]);
      const input = tfjs.tf.tensor3d(Int32Array.from(rgb), [px, px, 3], 'int32');
      const expected = await tfjs.api.nets.faceLandmark68Net.detectLandmarks(input).finally(() => input.dispose());
      const got = await onnx.landmarksOnnx!.run(rgb, [1, px, px, 3]);
      expect(got).toHaveLength(136);
      expected.positions.forEach((p, i) => (max = Math.max(max, Math.abs(p.x / px - got[2 * i]), Math.abs(p.y / px - got[2 * i + 1]))));
    }
    expect(max).toBeLessThanOrEqual(1e-5);
  }, 120_000);

  it('with auto inference, BlazeFace and both nets stay on TF.js with a log line each in a process where onnxruntime-node does not resolve', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'face-nets-onnx-'));
    try {
      const { stdout, stderr } = await runWithoutOnnxRuntime(dir, [
        `import { initTf } from ${JSON.stringify(path.join(REPO_ROOT, 'lib/embedder/backend.ts'))};`,
        `import { loadFaceModels } from ${JSON.stringify(path.join(REPO_ROOT, 'lib/faces/face-api.ts'))};`,
        "await initTf('wasm');",
        "const models = await loadFaceModels({ inference: 'auto' });",
        "console.log('RESULT', models.blazeFace.onnx === null, models.descriptorOnnx === null, models.landmarksOnnx === null);",
      ]);
      expect(stdout).toContain('RESULT true true true');
      const lines = stderr.split('\n').filter((l) => l.startsWith('[faces]'));
      expect(lines).toEqual([
        expect.stringMatching(/^\[faces\] BlazeFace: ONNX Runtime cannot run it \(onnx_unavailable: .*\); detection on TF\.js$/),
        expect.stringMatching(/^\[faces\] descriptors: ONNX Runtime cannot run it \(onnx_unavailable: .*\); descriptors on TF\.js$/),
        expect.stringMatching(/^\[faces\] landmarks: ONNX Runtime cannot run it \(onnx_unavailable: .*\); landmarks on TF\.js$/),
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
