import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { composeScene, evaluateScenes, matchFaces, type SceneSpec } from '@/lib/evaluation/detect-scenes';
import { createUniform } from '@/lib/evaluation/random';
import { DEFAULT_FACE_THRESHOLDS, loadFaceModels, type FaceModels } from '@/lib/faces';
import { decodeImage, resizeImage, type DecodedImage } from '@/lib/imaging';
import { initTestTf } from '../faces/fixtures';
import { CFP_FACES, GROCERY_STORE } from '../helpers/data';

/** Three crops of different shapes (CFP frontal 151x189, profile, frontal). */
const CROPS = ['50_Cent/frontal_01.jpg', 'Aaron_Rodgers/profile_02.jpg', 'Aaron_Rodgers/frontal_04.jpg'];

let models: FaceModels;

beforeAll(async () => {
  await initTestTf();
  models = await loadFaceModels();
});

describe('composeScene', () => {
  it('pastes each crop, resized, exactly inside its box, apart from the others, on an untouched background', async () => {
    const grey: DecodedImage = { width: 300, height: 200, channels: 1, data: new Uint8Array(300 * 200).fill(90), format: 'png' };
    const crops = await Promise.all(CROPS.map(async (f) => ({ image: await decodeImage(new Uint8Array(await readFile(path.join(CFP_FACES, f)))), source: f })));
    const spec: SceneSpec = { widthPx: 640, heightPx: 480, minFaces: 3, maxFaces: 3, minSidePx: 48, maxSidePx: 160, gapPx: 4 };
    const scene = await composeScene(grey, crops, createUniform(3), spec);
    expect([scene.image.width, scene.image.height, scene.image.channels]).toEqual([640, 480, 3]);
    expect(scene.faces).toHaveLength(3);
    expect(scene.leftOut).toBe(0);
    const inBox = new Uint8Array(640 * 480);
    for (const face of scene.faces) {
      const { x, y, width, height } = face.box;
      expect(Math.max(width, height)).toBe(face.sidePx);
      expect(face.sidePx).toBeGreaterThanOrEqual(48);
      expect(face.sidePx).toBeLessThanOrEqual(160);
      const crop = crops.find((c) => c.source === face.source)!;
      const want = await resizeImage(crop.image, { widthPx: width, heightPx: height, channels: 3 });
      for (let row = 0; row < height; row++) {
        const got = scene.image.data.subarray(((y + row) * 640 + x) * 3, ((y + row) * 640 + x + width) * 3);
        expect(Buffer.from(got).equals(Buffer.from(want.data.subarray(row * width * 3, (row + 1) * width * 3)))).toBe(true);
        inBox.fill(1, (y + row) * 640 + x, (y + row) * 640 + x + width);
      }
      for (const other of scene.faces.filter((f) => f !== face)) {
        const apart = x + width + 4 <= other.box.x || other.box.x + other.box.width + 4 <= x || y + height + 4 <= other.box.y || other.box.y + other.box.height + 4 <= y;
        expect(apart).toBe(true);
      }
    }
    // Outside the boxes: the uniform background, resized (still grey 90 on all three channels).
    for (let p = 0; p < 640 * 480; p++) {
      if (inBox[p]) continue;
      if (scene.image.data[p * 3] !== 90 || scene.image.data[p * 3 + 1] !== 90 || scene.image.data[p * 3 + 2] !== 90) throw new Error(`background pixel ${p} changed`);
    }
  });
});

describe('matchFaces', () => {
  it('matches by IoU >= 0.4 or by centre, one to one, and counts the rest as false', () => {
    const truth = [{ x: 0, y: 0, width: 100, height: 100 }, { x: 200, y: 0, width: 100, height: 100 }];
    const found = [
      { x: 230, y: 30, width: 40, height: 40 }, // inside truth 1: IoU 0.16, centre inside
      { x: 10, y: 10, width: 100, height: 100 }, // truth 0: IoU 0.68
      { x: 20, y: 20, width: 60, height: 60 }, // truth 0 again: already taken -> false
      { x: 400, y: 300, width: 50, height: 50 }, // nowhere -> false
    ];
    expect(matchFaces(truth, found)).toEqual({ byTruth: [1, 0], unmatched: [2, 3] });
    expect(matchFaces(truth, [{ x: 80, y: 80, width: 60, height: 60 }])).toEqual({ byTruth: [null, null], unmatched: [0] }); // IoU 0.03, centre (110, 110) outside
  });
});

describe('evaluateScenes', () => {
  it('finds the large faces of two seeded scenes through the search path', async () => {
    const spec: SceneSpec = { widthPx: 640, heightPx: 480, minFaces: 2, maxFaces: 3, minSidePx: 130, maxSidePx: 160, gapPx: 4 };
    const result = await evaluateScenes(CFP_FACES, GROCERY_STORE, [{ detector: 'blazeface', thresholds: DEFAULT_FACE_THRESHOLDS }], { models, scenes: 2, seed: 1, spec, log: () => {} });
    const r = result.detectors.blazeface;
    console.info(`[test] scenes: ${JSON.stringify(r)}`);
    expect(r.all.found.n).toBeGreaterThanOrEqual(4);
    expect(r.all.found.k).toBe(r.all.found.n);
    expect(r.all.boxed.k).toBe(r.all.boxed.n);
    expect(r.falseDetections.total).toBe(0);
  });
});
