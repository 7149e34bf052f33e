import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { decodeImage, type DecodedImage } from '@/lib/imaging';
import { listFolderImages } from '@/lib/datasets/folder';
import { BLAZEFACE_PINS, blazeFaceDir, blazeFaceInput, detectBlazeFaces, loadBlazeFace, suppressOverlaps } from '@/lib/faces/blazeface';
import { detectFaces } from '@/lib/faces/detect';
import { loadFaceModels, type FaceModels } from '@/lib/faces/face-api';
import { DEFAULT_FACE_THRESHOLDS } from '@/lib/faces/prepare';
import { CFP_FACES, CFP_TIGHT_CROP } from '../helpers/data';
import { initTestTf, orlImages } from './fixtures';

let models: FaceModels;
let tamperedDir: string;

beforeAll(async () => {
  await initTestTf();
  models = await loadFaceModels();
  tamperedDir = await mkdtemp(path.join(tmpdir(), 'blazeface-'));
  await cp(blazeFaceDir(), tamperedDir, { recursive: true });
  const file = path.join(tamperedDir, 'blazeface-front.bin');
  const bytes = await readFile(file);
  bytes[4000] ^= 0xff; // one flipped byte: a silently different detector
  await writeFile(file, bytes);
});

afterAll(async () => {
  await rm(tamperedDir, { recursive: true, force: true });
});

const box = (x: number, y: number, side: number, score: number) => ({ box: { x, y, width: side, height: side }, score, keypoints: [] });

describe('BlazeFace', () => {
  it('builds its input in plain arrays as TF.js pad and resizeBilinear did, within 1e-5, for grey, RGB and RGBA images', async () => {
    const { tf } = models;
    const [orl] = await orlImages(['att_faces/s1']); // 92 x 112 grey: padded left and right
    const cfp = await decodeImage((await listFolderImages(CFP_FACES))[0].bytes); // RGB
    const rgba: DecodedImage = { ...cfp, channels: 4, data: Uint8Array.from({ length: cfp.width * cfp.height * 4 }, (_, k) => (k % 4 === 3 ? 77 : cfp.data[Math.floor(k / 4) * 3 + (k % 4)])) };
    for (const img of [await decodeImage(orl.bytes), cfp, rgba]) {
      for (const px of [128, 256]) {
        const side = Math.max(img.width, img.height);
        const [padX, padY] = [Math.floor((side - img.width) / 2), Math.floor((side - img.height) / 2)];
        const expected = tf.tidy(() => {
          const x = tf.tensor3d(img.data, [img.height, img.width, img.channels], 'int32').slice([0, 0, 0], [-1, -1, Math.min(3, img.channels)]);
          const three = x.shape[2] === 1 ? tf.tile(x, [1, 1, 3]) : x;
          const square = tf.pad(tf.sub(tf.div(tf.cast(three, 'float32'), 127.5), 1), [[padY, side - img.height - padY], [padX, side - img.width - padX], [0, 0]]);
          return tf.image.resizeBilinear(square as Parameters<typeof tf.image.resizeBilinear>[0], [px, px]).dataSync() as Float32Array;
        });
        const got = blazeFaceInput(img, px);
        expect(got).toHaveLength(expected.length);
        expect(got.reduce((m, v, k) => Math.max(m, Math.abs(v - expected[k])), 0)).toBeLessThanOrEqual(1e-5);
      }
    }
  });

  it('finds the same faces on ONNX Runtime as on TF.js in 40 CFP photos, both variants, boxes within 0.01 px', async () => {
    const tfjs = await loadBlazeFace(models.tf, BLAZEFACE_PINS, blazeFaceDir(), 'tfjs');
    const onnx = await loadBlazeFace(models.tf, BLAZEFACE_PINS, blazeFaceDir(), 'onnx');
    expect([tfjs.onnx, onnx.onnx === null]).toEqual([null, false]);
    const photos = await Promise.all((await listFolderImages(CFP_FACES)).slice(0, 40).map((f) => decodeImage(f.bytes)));
    let compared = 0;
    for (const img of photos) {
      const expected = await detectBlazeFaces(models.tf, tfjs, img, ['front', 'back'], 0.3);
      const got = await detectBlazeFaces(models.tf, onnx, img, ['front', 'back'], 0.3);
      expect(got).toHaveLength(expected.length);
      got.forEach((d, i) => {
        const e = expected[i];
        expect(Math.abs(d.score - e.score)).toBeLessThan(1e-4);
        const coords = (f: typeof d) => [f.box.x, f.box.y, f.box.width, f.box.height, ...f.keypoints.flatMap((k) => [k.x, k.y])];
        expect(Math.max(...coords(d).map((v, j) => Math.abs(v - coords(e)[j])))).toBeLessThan(0.01);
      });
      compared += got.length;
    }
    expect(compared).toBeGreaterThanOrEqual(40);
  });

  it('finds the face on a tight ORL crop (no padding), inside the image, with 68 landmarks', async () => {
    const [s1] = await orlImages(['att_faces/s1']);
    const img = await decodeImage(s1.bytes);
    const faces = await detectFaces(models, img, { detector: 'blazeface', minScore: DEFAULT_FACE_THRESHOLDS.detectMinScore });
    expect(faces.length).toBeGreaterThanOrEqual(1);
    const [face] = faces;
    expect(face.score).toBeGreaterThanOrEqual(DEFAULT_FACE_THRESHOLDS.confidentScore);
    expect(face.box.x + face.box.width / 2).toBeGreaterThan(30);
    expect(face.box.x + face.box.width / 2).toBeLessThan(62);
    expect(face.landmarks).toHaveLength(68);
  });

  it('finds the face on a real CFP crop where the tiny detector finds none', async () => {
    const img = await decodeImage(new Uint8Array(await readFile(CFP_TIGHT_CROP)));
    expect(await detectFaces(models, img, { detector: 'tiny', minScore: 0.15 })).toEqual([]);
    const [face] = await detectFaces(models, img, { detector: 'blazeface', minScore: DEFAULT_FACE_THRESHOLDS.detectMinScore });
    expect(face.score).toBeGreaterThanOrEqual(DEFAULT_FACE_THRESHOLDS.minScore);
    expect(face.box.width).toBeGreaterThan(img.width / 3);
  });

  it('finds nothing on a blank image', async () => {
    const blank: DecodedImage = { width: 256, height: 256, channels: 3, data: new Uint8Array(256 * 256 * 3).fill(200), format: 'png' };
    expect(await detectFaces(models, blank, { detector: 'blazeface', minScore: DEFAULT_FACE_THRESHOLDS.detectMinScore })).toEqual([]);
  });

  it('merges overlapping boxes, keeping the higher score, and keeps separate faces', () => {
    // IoU 0.68 with the best box; a small box on its eye (IoU 0.04, centre inside); a separate face.
    const kept = suppressOverlaps([box(0, 0, 10, 0.6), box(1, 1, 10, 0.9), box(2, 2, 2, 0.8), box(50, 50, 10, 0.7)]);
    expect(kept.map((k) => k.score)).toEqual([0.9, 0.7]);
  });

  it('refuses a weight file whose SHA-256 differs, naming the file, expected and got', async () => {
    const err = await loadBlazeFace(models.tf, BLAZEFACE_PINS, tamperedDir).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('face_weights_mismatch');
    expect((err as AppError).message).toContain('blazeface-front.bin');
    expect((err as AppError).details).toMatchObject({ file: 'blazeface-front.bin', expected: BLAZEFACE_PINS.sha256['blazeface-front.bin'] });
  });
});
