/**
 * Face detection with 68-point landmarks on a decoded image, on the shared TF.js: BlazeFace
 * (`./blazeface`, finds tight crops and dark faces) or face-api's tiny face detector (YOLOv2-style)
 * or SSD MobileNet v1. face-api's 68-landmark net then runs on each box, so alignment and the
 * descriptor do not depend on the detector.
 */
import { assert } from '@/lib/errors';
import { cropImage, rgbPixels, type Box, type DecodedImage } from '@/lib/imaging';
import { detectBlazeFaces, type BlazeFaceVariant } from './blazeface';
import type { FaceModels } from './face-api';
import { LANDMARK_INPUT_PX } from './landmarks-onnx';

/** Which detector to run. */
export type FaceDetector = 'blazeface' | 'tiny' | 'ssd';

/** A point in image pixels (x right, y down). */
export interface Point {
  /** Column. */
  x: number;
  /** Row. */
  y: number;
}

/** One detected face. */
export interface DetectedFace {
  /** Detector box in image pixels (may extend past the image edge). */
  box: Box;
  /** Detector confidence in [0, 1]. */
  score: number;
  /** 68 landmarks (iBUG 300-W order: 0-16 jaw, 36-41 left eye, 42-47 right eye, 48-67 mouth). */
  landmarks: Point[];
}

/** Options of `detectFaces`. */
export interface DetectFacesOptions {
  /** Detector (default `blazeface`). */
  detector?: FaceDetector;
  /** Faces scoring below this are not reported (default 0.3). */
  minScore?: number;
  /** Tiny detector input side, a multiple of 32 (default 416, face-api's default). */
  tinyInputSizePx?: number;
  /** BlazeFace variants, merged by NMS (default `BLAZEFACE_VARIANTS`). */
  blazeFaceVariants?: readonly BlazeFaceVariant[];
}

/** BlazeFace variants run by default (see README, "Face detection", for the measurement). */
export const BLAZEFACE_VARIANTS: readonly BlazeFaceVariant[] = Object.freeze(['front', 'back']);

/**
 * The box the 68-landmark net sees, from a BlazeFace box (eyebrows to mouth): scaled by
 * `LANDMARK_BOX_SCALE` about its centre, moved down by `LANDMARK_BOX_SHIFT` of its side, to match
 * the boxes of face-api's own detectors the net was trained on (forehead to chin). Measured as the
 * median tiny-box / BlazeFace-box ratio where both detectors are confident (ORL and CFP samples).
 */
export const LANDMARK_BOX_SCALE = 1.1;
/** Downward shift of the landmark box, as a share of the BlazeFace box side. */
export const LANDMARK_BOX_SHIFT = 0.02;

/** Detector floor: lower-scoring boxes are noise (see prepare.ts for the refusal threshold). */
export const DETECT_MIN_SCORE = 0.3;

/** The 68 landmarks of the face in `box` (a square crop of `img`), in image pixels. */
async function landmarksIn(models: FaceModels, img: DecodedImage, box: Box): Promise<Point[]> {
  const crop = await cropImage(img, box, LANDMARK_INPUT_PX);
  if (models.landmarksOnnx) {
    // The 68 points relative to the crop (x, y interleaved), as face-api's net gives them for its own input size.
    const rel = await models.landmarksOnnx.run(Float32Array.from(rgbPixels(crop)), [1, LANDMARK_INPUT_PX, LANDMARK_INPUT_PX, 3]);
    return Array.from({ length: rel.length / 2 }, (_, i) => ({ x: box.x + rel[2 * i] * box.width, y: box.y + rel[2 * i + 1] * box.height }));
  }
  const input = models.tf.tensor3d(rgbPixels(crop), [crop.height, crop.width, 3], 'int32');
  try {
    const found = await models.api.nets.faceLandmark68Net.detectLandmarks(input);
    // Crop pixels -> image pixels.
    return found.positions.map((p) => ({ x: box.x + (p.x * box.width) / LANDMARK_INPUT_PX, y: box.y + (p.y * box.height) / LANDMARK_INPUT_PX }));
  } finally {
    input.dispose();
  }
}

/** BlazeFace boxes, each with the 68 landmarks found in its landmark box. */
async function detectWithBlazeFace(models: FaceModels, img: DecodedImage, minScore: number, variants: readonly BlazeFaceVariant[]): Promise<DetectedFace[]> {
  const found = await detectBlazeFaces(models.tf, models.blazeFace, img, variants, minScore);
  const out: DetectedFace[] = [];
  for (const f of found) {
    const side = Math.max(f.box.width, f.box.height) * LANDMARK_BOX_SCALE;
    const cx = f.box.x + f.box.width / 2;
    const cy = f.box.y + f.box.height / 2 + LANDMARK_BOX_SHIFT * f.box.height;
    const landmarkBox = { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
    out.push({ box: f.box, score: f.score, landmarks: await landmarksIn(models, img, landmarkBox) });
  }
  return out;
}

/** Detects every face in `img` with its landmarks, largest box first. */
export async function detectFaces(models: FaceModels, img: DecodedImage, opts: DetectFacesOptions = {}): Promise<DetectedFace[]> {
  const { api, tf } = models;
  const minScore = opts.minScore ?? DETECT_MIN_SCORE;
  const detector = opts.detector ?? 'blazeface';
  if (detector === 'blazeface') {
    const faces = await detectWithBlazeFace(models, img, minScore, opts.blazeFaceVariants ?? BLAZEFACE_VARIANTS);
    return faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  }
  const inputSize = opts.tinyInputSizePx ?? 416;
  assert(inputSize % 32 === 0, `tinyInputSizePx must be a multiple of 32, got ${inputSize}`);
  const options = detector === 'tiny'
    ? new api.TinyFaceDetectorOptions({ inputSize, scoreThreshold: minScore })
    : new api.SsdMobilenetv1Options({ minConfidence: minScore, maxResults: 100 });
  const input = tf.tensor3d(rgbPixels(img), [img.height, img.width, 3], 'int32'); // [h, w, 3]
  try {
    const raw = await api.detectAllFaces(input, options).withFaceLandmarks();
    return raw
      .map((r) => ({
        box: { x: r.detection.box.x, y: r.detection.box.y, width: r.detection.box.width, height: r.detection.box.height },
        score: r.detection.score,
        landmarks: r.landmarks.positions.map((p) => ({ x: p.x, y: p.y })),
      }))
      .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  } finally {
    input.dispose();
  }
}
