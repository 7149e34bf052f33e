/**
 * Alignment: rotate each face so the eye line is horizontal, then crop a square around its
 * landmarks into the descriptor's input. The crop mirrors face-api's own `landmarks.align()`
 * (the landmarks' bounding box padded by 20% of its size) but in the rotated frame, then squared.
 */
import { assert } from '@/lib/errors';
import { cropImage, type Box, type DecodedImage } from '@/lib/imaging';
import type { Point } from './detect';

/** Side of face-api's recognition-net input (dlib's 150x150 face chips). */
export const DESCRIPTOR_INPUT_PX = 150;
/** Padding of the landmark box, share of its size (face-api's `minBoxPadding` 0.2). */
export const ALIGN_BOX_PADDING = 0.2;

/** A face cropped and levelled for the descriptor. */
export interface AlignedFace {
  /** The square crop, `DESCRIPTOR_INPUT_PX` wide. */
  image: DecodedImage;
  /** Rotation applied, radians (image coordinates: the eye-line angle). */
  angleRad: number;
  /** The crop square before rotation, centred where the rotated crop is. */
  cropBox: Box;
}

function mean(points: readonly Point[]): Point {
  return { x: points.reduce((s, p) => s + p.x, 0) / points.length, y: points.reduce((s, p) => s + p.y, 0) / points.length };
}

/** Eye centres (iBUG points 36-41 and 42-47: the image's left eye, then its right eye). */
export function eyeCentres(landmarks: readonly Point[]): { left: Point; right: Point } {
  assert(landmarks.length === 68, `expected 68 landmarks, got ${landmarks.length}`);
  return { left: mean(landmarks.slice(36, 42)), right: mean(landmarks.slice(42, 48)) };
}

/** Angle of the eye line: `atan2(right.y - left.y, right.x - left.x)`; 0 when the eyes are level. */
export function eyeLineAngle(landmarks: readonly Point[]): number {
  const { left, right } = eyeCentres(landmarks);
  return Math.atan2(right.y - left.y, right.x - left.x);
}

/** Rotates, crops and resizes the face with these landmarks to `sizePx` (default 150). */
export async function alignFace(img: DecodedImage, landmarks: readonly Point[], sizePx = DESCRIPTOR_INPUT_PX): Promise<AlignedFace> {
  const angleRad = eyeLineAngle(landmarks);
  const cos = Math.cos(angleRad);
  const sin = Math.sin(angleRad);
  // Landmarks in the levelled frame: p' = R(-a) p.
  const rotated = landmarks.map((p) => ({ x: cos * p.x + sin * p.y, y: -sin * p.x + cos * p.y }));
  const xs = rotated.map((p) => p.x);
  const ys = rotated.map((p) => p.y);
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  const w = Math.max(...xs) - x0;
  const h = Math.max(...ys) - y0;
  const side = Math.max(w, h) * (1 + ALIGN_BOX_PADDING);
  // Centre back in image coordinates: c = R(a) c'.
  const cxr = x0 + w / 2;
  const cyr = y0 + h / 2;
  const cx = cos * cxr - sin * cyr;
  const cy = sin * cxr + cos * cyr;
  const cropBox = { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
  return { image: await cropImage(img, cropBox, sizePx, angleRad), angleRad, cropBox };
}

/** The whole image letterboxed (black bars) into a `sizePx` square: the `whole_image` fallback. */
export async function wholeImageInput(img: DecodedImage, sizePx = DESCRIPTOR_INPUT_PX): Promise<DecodedImage> {
  const side = Math.max(img.width, img.height);
  return cropImage(img, { x: (img.width - side) / 2, y: (img.height - side) / 2, width: side, height: side }, sizePx);
}
