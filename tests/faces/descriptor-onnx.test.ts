// The face descriptor on ONNX Runtime (lib/faces/descriptor-onnx.ts: face-api's recognition net
// exported in memory from its verified weights) against face-api's net on TF.js: 48 real CFP
// photos, grey and colour, raw and flip-averaged, within 1e-5 in every component; and where
// onnxruntime-node does not load, `auto` keeps it and BlazeFace on TF.js with a log line each.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listFolderImages } from '@/lib/datasets/folder';
import { DESCRIPTOR_INPUT_PX } from '@/lib/faces/align';
import { describeFaces } from '@/lib/faces/descriptor';
import { loadFaceModels } from '@/lib/faces/face-api';
import { decodeImage, resizeImage, type DecodedImage } from '@/lib/imaging';
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

describe('describeFaces on ONNX Runtime', () => {
  it('matches face-api on TF.js within 1e-5 on 48 CFP photos, raw and flip-averaged', async () => {
    const tfjs = await loadFaceModels({ inference: 'tfjs' });
    const onnx = await loadFaceModels({ inference: 'onnx' });
    expect([tfjs.descriptorOnnx, onnx.descriptorOnnx === null]).toEqual([null, false]);
    for (const flip of [false, true]) {
      const expected = await describeFaces(tfjs, chips, { flip });
      const got = await describeFaces(onnx, chips, { flip });
      expect(got).toHaveLength(48);
      expect(Math.max(...expected.flatMap((d) => [...d].map(Math.abs))), 'descriptors are not all zeros').toBeGreaterThan(0.1);
      expect(maxAbsDiff(got, expected)).toBeLessThanOrEqual(1e-5);
    }
  }, 120_000);

  it('with auto inference, detector and descriptor stay on TF.js with a log line each in a process where onnxruntime-node does not resolve', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'descriptor-onnx-'));
    try {
      const { stdout, stderr } = await runWithoutOnnxRuntime(dir, [
        `import { initTf } from ${JSON.stringify(path.join(REPO_ROOT, 'lib/embedder/backend.ts'))};`,
        `import { loadFaceModels } from ${JSON.stringify(path.join(REPO_ROOT, 'lib/faces/face-api.ts'))};`,
        "await initTf('wasm');",
        "const models = await loadFaceModels({ inference: 'auto' });",
        "console.log('RESULT', models.descriptorOnnx === null, models.blazeFace.onnx === null);",
      ]);
      expect(stdout).toContain('RESULT true true');
      const lines = stderr.split('\n').filter((l) => l.startsWith('[faces]'));
      expect(lines).toEqual([
        expect.stringMatching(/^\[faces\] BlazeFace: ONNX Runtime cannot run it \(onnx_unavailable: .*\); detection on TF\.js$/),
        expect.stringMatching(/^\[faces\] the face descriptor: ONNX Runtime cannot run it \(onnx_unavailable: .*\); descriptors on TF\.js$/),
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
