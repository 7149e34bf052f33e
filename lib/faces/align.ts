/**
 * Alignment: the descriptor's 150x150 input cut from a face's 68 landmarks, two ways.
 *   box   rotate so the eye line is horizontal, then crop a square around the landmarks: face-api's
 *         own `landmarks.align()` (the landmarks' bounding box padded by 20% of its size) but in
 *         the rotated frame, then squared.
 *   dlib  dlib's `get_face_chip_details(shape, 150, 0.25)`, the chip dlib's ResNet (which face-api's
 *         recognition net ports) was trained on: the least-squares similarity transform from dlib's
 *         mean face shape (landmarks 27-54 and 60-64, padded by 25%) to the landmarks.
 */
import { assert } from '@/lib/errors';
import { cropImage, type Box, type DecodedImage } from '@/lib/imaging';
import type { Point } from './detect';

/** Side of face-api's recognition-net input (dlib's 150x150 face chips). */
export const DESCRIPTOR_INPUT_PX = 150;
/** Padding of the landmark box, share of its size (face-api's `minBoxPadding` 0.2). */
export const ALIGN_BOX_PADDING = 0.2;

/** How the face is cut out for the descriptor (face.json `alignment.method`). */
export type AlignMethod = 'box' | 'dlib';
/** Padding of dlib's face chip, share of the mean shape's size on each side (dlib's `compute_face_descriptor`). */
export const DLIB_CHIP_PADDING = 0.25;

/**
 * dlib's mean face shape, landmarks 17-67, in [0, 1] (`mean_face_shape_x/y` of dlib's
 * `get_face_chip_details`, dlib/image_transforms/interpolation.h).
 */
const DLIB_MEAN_FACE_X = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004, 0.490127, 0.490127, 0.490127,
  0.490127, 0.36688, 0.426036, 0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918, 0.182743, 0.645647,
  0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149, 0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159,
  0.556721, 0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127, 0.42689,
];
const DLIB_MEAN_FACE_Y = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454, 0.203352, 0.307009,
  0.409805, 0.515625, 0.587326, 0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733, 0.245099, 0.244077,
  0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099, 0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233,
  0.864805, 0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746, 0.784792, 0.824182, 0.831803, 0.824182,
];
/** Landmarks dlib fits the chip to: 27-54 and 60-64 (not the jaw, eyebrows or lower lip). */
const DLIB_FIT_POINTS = Array.from({ length: 68 }, (_, i) => i).filter((i) => (i >= 27 && i <= 54) || (i >= 60 && i <= 64));

/**
 * Where dlib's template puts landmark `i` (17..67) in a `sizePx` chip, in continuous pixel
 * coordinates (pixel u spans [u, u+1]): `sizePx * (padding + mean) / (1 + 2 padding) + 0.5`; dlib
 * indexes pixel centres at integers, hence the half pixel.
 */
export function dlibTemplatePoint(i: number, sizePx = DESCRIPTOR_INPUT_PX, padding = DLIB_CHIP_PADDING): Point {
  assert(Number.isInteger(i) && i >= 17 && i <= 67, `dlib's mean face has landmarks 17..67, got ${i}`);
  const at = (m: number) => (sizePx * (padding + m)) / (1 + 2 * padding) + 0.5;
  return { x: at(DLIB_MEAN_FACE_X[i - 17]), y: at(DLIB_MEAN_FACE_Y[i - 17]) };
}

/** How a face model cuts out and describes faces (face.json `alignment`, less its fixed input size). */
export interface FaceAlignment {
  /** Crop: `box` (face-api's landmark box) or `dlib` (dlib's face chip). */
  method: AlignMethod;
  /** Describe the face and its mirror image and average (`describeFaces`). */
  flip: boolean;
}

/** The alignment of face models whose face.json predates `method` and `flip` (issue 18 measured it against dlib's chip). */
export const LEGACY_ALIGNMENT: Readonly<FaceAlignment> = Object.freeze({ method: 'box', flip: false });

/**
 * The alignment of new face models: dlib's chip with flip averaging. `evaluate verify` (README,
 * "Alignment"): TAR at pairwise FAR 1e-2 on 60 CFP identities 0.458 -> 0.691 (1,194 genuine pairs),
 * on ORL 0.931 -> 0.936 (1,696); each of dlib's chip and flip raised TAR at 1e-3 on both.
 */
export const DEFAULT_ALIGNMENT: Readonly<FaceAlignment> = Object.freeze({ method: 'dlib', flip: true });

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

/**
 * Least-squares similarity transform from chip to image, as dlib's `find_similarity_transform`
 * (template -> landmarks). In complex numbers, image = z * chip + t: with both point sets centred,
 * z = sum(conj(q_i) * p_i) / sum(|q_i|^2); |z| is the image pixels per chip pixel, arg z the angle.
 */
function fitChipToImage(chip: readonly Point[], image: readonly Point[]): { re: number; im: number; chipMean: Point; imageMean: Point } {
  const chipMean = mean(chip);
  const imageMean = mean(image);
  let re = 0;
  let im = 0;
  let norm = 0;
  for (const [k, q0] of chip.entries()) {
    const qx = q0.x - chipMean.x;
    const qy = q0.y - chipMean.y;
    const px = image[k].x - imageMean.x;
    const py = image[k].y - imageMean.y;
    re += qx * px + qy * py; // Re(conj(q) p)
    im += qx * py - qy * px; // Im(conj(q) p)
    norm += qx * qx + qy * qy;
  }
  return { re: re / norm, im: im / norm, chipMean, imageMean };
}

/** dlib's 150x150 face chip with 25% padding (see the file comment): a rotated square crop. */
async function alignDlibChip(img: DecodedImage, landmarks: readonly Point[], sizePx: number): Promise<AlignedFace> {
  const { re, im, chipMean, imageMean } = fitChipToImage(DLIB_FIT_POINTS.map((i) => dlibTemplatePoint(i, sizePx)), DLIB_FIT_POINTS.map((i) => landmarks[i]));
  // The chip's centre (sizePx/2, sizePx/2) in the image: z * (c - chipMean) + imageMean.
  const dx = sizePx / 2 - chipMean.x;
  const dy = sizePx / 2 - chipMean.y;
  const cx = re * dx - im * dy + imageMean.x;
  const cy = im * dx + re * dy + imageMean.y;
  const side = sizePx * Math.hypot(re, im);
  const angleRad = Math.atan2(im, re);
  const cropBox = { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
  return { image: await cropImage(img, cropBox, sizePx, angleRad), angleRad, cropBox };
}

/** Crops the face with these 68 landmarks into a `sizePx` square (default 150) by `method` (default `box`). */
export async function alignFace(img: DecodedImage, landmarks: readonly Point[], method: AlignMethod = 'box', sizePx = DESCRIPTOR_INPUT_PX): Promise<AlignedFace> {
  assert(landmarks.length === 68, `expected 68 landmarks, got ${landmarks.length}`);
  return method === 'dlib' ? alignDlibChip(img, landmarks, sizePx) : alignLandmarkBox(img, landmarks, sizePx);
}

/** The `box` alignment (see the file comment). */
async function alignLandmarkBox(img: DecodedImage, landmarks: readonly Point[], sizePx: number): Promise<AlignedFace> {
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
