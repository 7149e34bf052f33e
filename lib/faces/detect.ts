/**
 * Face detection with 68-point landmarks on a decoded image, via face-api's nets on the shared
 * TF.js: the tiny face detector (YOLOv2-style, fast default) or SSD MobileNet v1 (more accurate,
 * ~3x slower on CPU).
 */
import { assert } from '@/lib/errors';
import type { Box, DecodedImage } from '@/lib/imaging';
import type { FaceModels } from './face-api';

/** Which detector to run. */
export type FaceDetector = 'tiny' | 'ssd';

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
  /** Detector (default `tiny`). */
  detector?: FaceDetector;
  /** Faces scoring below this are not reported (default 0.3). */
  minScore?: number;
  /** Tiny detector input side, a multiple of 32 (default 416, face-api's default). */
  tinyInputSizePx?: number;
}

/** Detector floor: lower-scoring boxes are noise (see prepare.ts for the refusal threshold). */
export const DETECT_MIN_SCORE = 0.3;

/** RGB int32 pixels of `img` (grey replicated, alpha dropped): [height, width, 3]. */
function rgbPixels(img: DecodedImage): Int32Array {
  const n = img.width * img.height;
  const out = new Int32Array(n * 3);
  const ch = img.channels;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = img.data[i * ch + (ch === 1 ? 0 : c)];
  }
  return out;
}

/** Detects every face in `img` with its landmarks, largest box first. */
export async function detectFaces(models: FaceModels, img: DecodedImage, opts: DetectFacesOptions = {}): Promise<DetectedFace[]> {
  const { api, tf } = models;
  const minScore = opts.minScore ?? DETECT_MIN_SCORE;
  const inputSize = opts.tinyInputSizePx ?? 416;
  assert(inputSize % 32 === 0, `tinyInputSizePx must be a multiple of 32, got ${inputSize}`);
  const options = (opts.detector ?? 'tiny') === 'tiny'
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
