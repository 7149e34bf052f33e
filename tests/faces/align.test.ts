/**
 * dlib's face chip on real photos (the eyes land where dlib's template puts them) and flip
 * averaging (a unit vector, the same for a face and its mirror image).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, padImage, type DecodedImage } from '@/lib/imaging';
import { loadFaceModels, type FaceModels } from '@/lib/faces/face-api';
import { detectFaces, type Point } from '@/lib/faces/detect';
import { alignFace, dlibTemplatePoint, eyeCentres } from '@/lib/faces/align';
import { describeFaces } from '@/lib/faces/descriptor';
import { astronaut, initTestTf, orlImages } from './fixtures';

let models: FaceModels;
let photos: { name: string; img: DecodedImage }[];

beforeAll(async () => {
  await initTestTf();
  models = await loadFaceModels();
  const [orl] = await orlImages(['att_faces/s1']);
  photos = [{ name: 'astronaut.png', img: await astronaut() }, { name: orl.source, img: await decodeImage(orl.bytes) }];
});

const centre = (pts: Point[]): Point => ({ x: pts.reduce((s, p) => s + p.x, 0) / pts.length, y: pts.reduce((s, p) => s + p.y, 0) / pts.length });
/** dlib's template eye centres in a 150 px chip: means of landmarks 36-41 and 42-47. */
const TEMPLATE_EYES = [centre([36, 37, 38, 39, 40, 41].map((i) => dlibTemplatePoint(i))), centre([42, 43, 44, 45, 46, 47].map((i) => dlibTemplatePoint(i)))];

/** Landmarks of the one face in `img` (padded by 50% mid-grey, as the detector's retry does for tight crops). */
async function landmarksOf(img: DecodedImage): Promise<Point[]> {
  const padded = padImage(img, 0.5, 128);
  const faces = await detectFaces(models, padded);
  expect(faces.length).toBeGreaterThanOrEqual(1);
  return faces[0].landmarks.map((p) => ({ x: p.x - padded.offsetX, y: p.y - padded.offsetY }));
}

/** `img` mirrored left to right. */
function mirror(img: DecodedImage): DecodedImage {
  const { width, height, channels: ch } = img;
  const data = new Uint8Array(img.data.length);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(img.data.subarray((y * width + x) * ch, (y * width + x + 1) * ch), (y * width + width - 1 - x) * ch);
  return { ...img, data };
}

describe('dlib face chip', () => {
  // Landmarks found again on the chip sit 1.3 px (mean) from where the fitted transform maps the
  // originals on astronaut.png: the landmark net's own jitter. Her eyes are 56 px apart in the chip
  // against the template's 53 (a face is not the mean face), so each eye may miss by ~3 px while
  // the midpoint between them is fitted to within a pixel or two.
  it('puts the eyes where dlib\'s template puts them (landmarks found again on the chip)', async () => {
    const templateMid = { x: (TEMPLATE_EYES[0].x + TEMPLATE_EYES[1].x) / 2, y: (TEMPLATE_EYES[0].y + TEMPLATE_EYES[1].y) / 2 };
    for (const { name, img } of photos) {
      const chip = await alignFace(img, await landmarksOf(img), 'dlib');
      expect(chip.image.width, name).toBe(150);
      const { left, right } = eyeCentres(await landmarksOf(chip.image));
      const mid = { x: (left.x + right.x) / 2, y: (left.y + right.y) / 2 };
      const at = `${name}: eyes at ${JSON.stringify({ left, right })}, template ${JSON.stringify(TEMPLATE_EYES)}`;
      expect(Math.hypot(mid.x - templateMid.x, mid.y - templateMid.y), at).toBeLessThan(2);
      expect(Math.abs(Math.atan2(right.y - left.y, right.x - left.x)), at).toBeLessThan((3 * Math.PI) / 180);
      for (const [found, want] of [[left, TEMPLATE_EYES[0]], [right, TEMPLATE_EYES[1]]]) expect(Math.hypot(found.x - want.x, found.y - want.y), at).toBeLessThan(4);
    }
  });
});

describe('flip averaging', () => {
  it('gives a unit vector, the same for a face and its mirror image', async () => {
    const chips = await Promise.all(photos.map(async ({ img }) => (await alignFace(img, await landmarksOf(img), 'dlib')).image));
    const plain = await describeFaces(models, chips, { flip: true });
    const mirrored = await describeFaces(models, chips.map(mirror), { flip: true });
    const raw = await describeFaces(models, chips);
    for (const [k, d] of plain.entries()) {
      expect(Math.hypot(...d)).toBeCloseTo(1, 5);
      for (let j = 0; j < d.length; j++) expect(mirrored[k][j]).toBeCloseTo(d[j], 5);
      // And it is not the plain descriptor renormalised: the mirror image adds information.
      const rawNorm = Math.hypot(...raw[k]);
      expect(Math.max(...d.map((v, j) => Math.abs(v - raw[k][j] / rawNorm)))).toBeGreaterThan(1e-3);
    }
  });
});
