/**
 * The faces pipeline up to the descriptor: detect (with the padded retry), choose faces, refuse
 * or warn, align, and compute the 128-d descriptors. The service's preprocessing seam calls
 * `prepareFaces`; the model then maps each descriptor to its embedding (`./model`).
 *
 * Detection modes (issue 4):
 *   auto   detect; if no face, detect again on the image padded by 50% on every side (ORL crops
 *          are too tight for the detector: 34/80 found raw, +42 padded with mid-grey, 40 with
 *          black; tiny detector on every 5th ORL image, issue 4); if still none and the long side <= 320 px, embed the whole
 *          image (`whole_image`), else refuse `no_face`.
 *   always refuse `no_face` when no face is found (after the padded retry).
 *   never  embed the whole image.
 *
 * Detection runs on the image shrunk to a long side of at most `DETECT_MAX_SIDE_PX`, boxes and
 * landmarks mapped back; alignment then crops the face from the original (issue 16: a blank
 * 6000x6000 PNG, padded for the retry to 12000x12000, made a 1.7 GB detector input and aborted
 * TF.js wasm).
 */
import { InputError } from '@/lib/errors';
import { centreInside, padImage, shrinkImage, type Box, type DecodedImage } from '@/lib/imaging';
import { loadFaceModels, type FaceModels } from './face-api';
import { alignFace, LEGACY_ALIGNMENT, wholeImageInput, type FaceAlignment } from './align';
import { describeFaces } from './descriptor';
import { detectFaces, type DetectedFace, type FaceDetector, type Point } from './detect';
import type { RefusalCode, Verdict } from './verdicts';

/** Per-collection detection mode (a request may override it). */
export type DetectMode = 'auto' | 'always' | 'never';
/** enroll: the largest face only; search: every face. */
export type FacePurpose = 'enroll' | 'search';

/** Thresholds of the verdicts; stored in the face model's `face.json`. */
export interface FaceThresholds {
  /** Detector floor: lower-scoring boxes are not faces at all. */
  detectMinScore: number;
  /** `low_score` below this detector score. */
  minScore: number;
  /** `face_too_small` when the detector box's shorter side is below this many pixels. */
  minFaceSizePx: number;
  /** Largest long side, in pixels, that may fall back to `whole_image` in auto mode. */
  wholeImageMaxSidePx: number;
  /** Detector score of a confident face: search returns confident faces first, enrolment warns `unconfirmed_face` under it, and other confident faces make `several_faces`. */
  confidentScore: number;
  /** Padding of the retry, share of each side. */
  retryPadFraction: number;
  /** Grey level of the retry's padding. */
  retryPadGrey: number;
}

/**
 * Long side of the image the detector sees. The tiny detector resizes its input to 416 px and SSD
 * to 512 px anyway; 1024 keeps a 40 px face (the `minFaceSizePx` floor) of a 2048 px photo at
 * 20 px for the landmark net, and bounds the padded retry at 2048x2048 (48 MB as int32 RGB).
 */
export const DETECT_MAX_SIDE_PX = 1024;

/**
 * Defaults, for BlazeFace (face models from face-blaze-2026-12-05 on; the earlier tiny-detector
 * model keeps its own values in its face.json: detectMinScore 0.15, minScore 0.25,
 * confidentScore 0.5). Set from BlazeFace's scores (`npm run evaluate -- detect`, issue 18):
 * real faces score 0.77 and up on all 400 ORL images, 0.79 and up on CFP frontal crops, 0.645 and
 * up on CFP profiles (every 10th image); uniform noise reaches 0.54 (10 images, raw and padded) and
 * grocery products 0.60-0.77. detectMinScore 0.55 sits above noise; minScore 0.6 below every real
 * face measured; confidentScore 0.75 below every ORL and frontal face, above most products (boxes
 * under it warn `unconfirmed_face` at enrolment). minFaceSizePx 40 as before: below it the 150-px
 * descriptor input is mostly interpolation (ORL faces measure 56-112 px).
 */
export const DEFAULT_FACE_THRESHOLDS: Readonly<FaceThresholds> = Object.freeze({
  detectMinScore: 0.55,
  minScore: 0.6,
  minFaceSizePx: 40,
  confidentScore: 0.75,
  wholeImageMaxSidePx: 320,
  retryPadFraction: 0.5,
  retryPadGrey: 128,
});

/** Options of `prepareFaces`. */
export interface PrepareFacesOptions {
  /** Detection mode (default `auto`). */
  mode?: DetectMode;
  /** enroll or search. */
  purpose: FacePurpose;
  /** Detector (default `blazeface`). */
  detector?: FaceDetector;
  /** Threshold overrides (default `DEFAULT_FACE_THRESHOLDS`, or the face model's). */
  thresholds?: Partial<FaceThresholds>;
  /** Loaded models (default `loadFaceModels()`). */
  models?: FaceModels;
  /** Crop and flip (default `LEGACY_ALIGNMENT`, or the face model's). */
  alignment?: FaceAlignment;
}

/** One face ready for the model. */
export interface PreparedFace {
  /** Detector box in the image's pixels; null for the whole-image fallback. */
  box: Box | null;
  /** Detector score; null for the whole image. */
  score: number | null;
  /** 68 landmarks in the image's pixels; null for the whole image. */
  landmarks: Point[] | null;
  /** The aligned 150x150 descriptor input. */
  descriptorInput: DecodedImage;
  /** The raw 128-d descriptor; null when this face is refused (search only). */
  descriptor: Float32Array | null;
  /** Refusals (search: this face) and warnings (image-level ones are repeated on each face). */
  verdicts: Verdict[];
}

/** What to do about an image whose face the detector does not find, or finds only weakly. */
const NO_FACE_ADVICE = 'crop less tightly (keep the whole head and some background), or send `detect: never` to embed the whole image';

/** Error thrown when an image is refused; `code` is the refusal, `details.verdicts` the full list. */
export class FaceRefusedError extends InputError {
  static override readonly kind: string = 'FaceRefusedError';
}

function refusal(code: RefusalCode, message: string, details: Record<string, number>): Verdict {
  return { code, severity: 'refusal', message, details };
}

/** The refusal of one detected face, or null when it is usable. */
function judgeFace(face: DetectedFace, t: FaceThresholds): Verdict | null {
  const sizePx = Math.min(face.box.width, face.box.height);
  if (sizePx < t.minFaceSizePx) {
    return refusal('face_too_small', `face is ${sizePx.toFixed(0)} px on its shorter side, below the ${t.minFaceSizePx} px minimum; use a closer or larger photo`, { faceSizePx: sizePx, minFaceSizePx: t.minFaceSizePx });
  }
  if (face.score < t.minScore) {
    return refusal('low_score', `face detector score ${face.score.toFixed(3)} is below the ${t.minScore} minimum; use a sharper, frontal, well-lit photo, ${NO_FACE_ADVICE}`, { score: face.score, minScore: t.minScore });
  }
  return null;
}

/** `face` with its box corner and landmarks moved by `map`, its box size scaled by `sx`, `sy`. */
function mapFace(face: DetectedFace, map: (p: Point) => Point, sx = 1, sy = 1): DetectedFace {
  return { ...face, box: { ...map(face.box), width: face.box.width * sx, height: face.box.height * sy }, landmarks: face.landmarks.map(map) };
}

/**
 * Detects on the image (shrunk to `DETECT_MAX_SIDE_PX`) and, unless that found a face scoring at
 * least `minScore`, again on the padded image; keeps the padded result when it holds such a face.
 * A tight crop often yields a weak box first that the padded retry scores well (ORL). Boxes and
 * landmarks come back in the original image's pixels.
 */
async function findFaces(models: FaceModels, img: DecodedImage, detector: FaceDetector, t: FaceThresholds): Promise<DetectedFace[]> {
  const { image: work, scaleX, scaleY } = await shrinkImage(img, DETECT_MAX_SIDE_PX);
  const raw = await detectFaces(models, work, { detector, minScore: t.detectMinScore });
  const good = (faces: DetectedFace[]) => faces.some((f) => f.score >= t.minScore);
  let found = raw;
  if (!good(raw)) {
    const padded = padImage(work, t.retryPadFraction, t.retryPadGrey);
    const shift = (p: Point) => ({ x: p.x - padded.offsetX, y: p.y - padded.offsetY });
    const retry = (await detectFaces(models, padded, { detector, minScore: t.detectMinScore })).map((f) => mapFace(f, shift));
    if (good(retry) || raw.length === 0) found = retry;
  }
  if (scaleX === 1 && scaleY === 1) return found;
  const back = (p: Point) => ({ x: p.x / scaleX, y: p.y / scaleY });
  return found.map((f) => mapFace(f, back, 1 / scaleX, 1 / scaleY));
}

/** Other faces count for `several_faces` when they are confident and do not sit on the chosen one. */
function countOthers(faces: readonly DetectedFace[], t: FaceThresholds): number {
  const [first, ...rest] = faces;
  return rest.filter((f) => f.score >= t.confidentScore && !centreInside(f.box, first.box)).length;
}

/**
 * Score SSD MobileNet v1 must give a face, on the image or padded like the retry, to confirm a weak
 * tiny-detector box at enrolment. The tiny detector gives weak boxes (0.25-0.5) to things that are
 * no face: of 81 grocery-store photos (one per class) it enrolled 30 as faces, 24 of them on a weak
 * box; SSD at 0.5 confirms 1 of those 24, while it confirms 36 of 37 weak ORL faces and all 19 weak
 * CFP frontal faces (one photo per person, 60 people), measured for issue 16, section 7. Only weak
 * boxes are checked: SSD costs about 3x the pipeline's time (1.7 s against 0.6 s per ORL image on wasm,
 * on a loaded 2-core machine). Used for the tiny detector only: SSD misses tight crops (1 of 200
 * CFP crops, issue 18), so with BlazeFace a box under `confidentScore` gets the warning on its score
 * alone (BlazeFace scores products 0.60-0.77, CFP frontal faces 0.79 and up; README, "Faces").
 */
export const CONFIRM_MIN_SCORE = 0.5;

/** Whether SSD finds a face scoring `CONFIRM_MIN_SCORE` on the image or on its padded copy. */
async function confirmedBySsd(models: FaceModels, img: DecodedImage, t: FaceThresholds): Promise<boolean> {
  const found = async (x: DecodedImage) => (await detectFaces(models, x, { detector: 'ssd', minScore: CONFIRM_MIN_SCORE })).length > 0;
  return (await found(img)) || found(padImage(img, t.retryPadFraction, t.retryPadGrey));
}

function refuse(verdict: Verdict, all: Verdict[]): never {
  throw new FaceRefusedError(verdict.code, verdict.message, { verdicts: all });
}

/**
 * Finds, judges, aligns and describes the faces of `img`. enroll: the largest confident face, else
 * the largest weak one (warning `several_faces` when other confident faces exist); search: every
 * face scoring `minScore` or more, confident ones first, else the best box, each with its own box
 * (a face too small comes back with
 * `descriptor: null` and its `face_too_small` refusal). Throws `FaceRefusedError` (`no_face`, `face_too_small`, `low_score`)
 * when the image yields no usable face.
 */
export async function prepareFaces(img: DecodedImage, opts: PrepareFacesOptions): Promise<PreparedFace[]> {
  const mode = opts.mode ?? 'auto';
  const t: FaceThresholds = { ...DEFAULT_FACE_THRESHOLDS, ...opts.thresholds };
  const models = opts.models ?? (await loadFaceModels());
  const { method, flip } = opts.alignment ?? LEGACY_ALIGNMENT;
  const longSidePx = Math.max(img.width, img.height);

  const whole = async (verdicts: Verdict[]): Promise<PreparedFace[]> => {
    const descriptorInput = await wholeImageInput(img);
    const [descriptor] = await describeFaces(models, [descriptorInput], { flip });
    return [{ box: null, score: null, landmarks: null, descriptorInput, descriptor, verdicts }];
  };
  if (mode === 'never') return whole([]);

  const detector = opts.detector ?? 'blazeface';
  const faces = await findFaces(models, img, detector, t);
  if (faces.length === 0) {
    if (mode === 'auto' && longSidePx <= t.wholeImageMaxSidePx) {
      return whole([{ code: 'whole_image', severity: 'warning', message: `no face found (also after padding); the whole ${img.width}x${img.height} image was embedded (allowed up to a ${t.wholeImageMaxSidePx} px long side)`, details: { longSidePx, wholeImageMaxSidePx: t.wholeImageMaxSidePx } }]);
    }
    const why = mode === 'auto' ? `; images with a long side over ${t.wholeImageMaxSidePx} px (this one: ${longSidePx}) are not embedded whole` : ' (detect=always)';
    const v = refusal('no_face', `no face found, also after padding the image by ${t.retryPadFraction * 100}% per side${why}; ${NO_FACE_ADVICE}`, { longSidePx, wholeImageMaxSidePx: t.wholeImageMaxSidePx });
    refuse(v, [v]);
  }

  // Confident faces first, then weak ones, then the rest, each tier largest first: the tiny
  // detector also scores hands and shoulders 0.25-0.6, so a large weak box must not beat a face.
  const tier = (f: DetectedFace) => (f.score >= t.confidentScore ? 0 : f.score >= t.minScore ? 1 : 2);
  const ranked = [0, 1, 2].flatMap((k) => faces.filter((f) => tier(f) === k));
  const judged = ranked.map((face) => ({ face, refusal: judgeFace(face, t) }));
  // Search keeps weak faces too: in composite scenes of 2-6 CFP faces, keeping only confident ones
  // when any existed dropped 216 of the 1,196 faces that BlazeFace had boxed (README, "Face detection").
  const usable = judged.filter((j) => tier(j.face) <= 1);
  const chosen = opts.purpose === 'enroll' || usable.length === 0 ? judged.slice(0, 1) : usable;
  const imageVerdicts: Verdict[] = [];
  const others = countOthers(ranked, t);
  if (opts.purpose === 'enroll' && others > 0) {
    imageVerdicts.push({ code: 'several_faces', severity: 'warning', message: `${others + 1} faces found; enrolled the largest (${Math.round(ranked[0].box.width)}x${Math.round(ranked[0].box.height)} px), ignored the other ${others}`, details: { faces: others + 1 } });
  }
  if (chosen.every((j) => j.refusal !== null)) refuse(chosen[0].refusal!, [chosen[0].refusal!, ...imageVerdicts]);
  const weak = chosen[0].face;
  if (opts.purpose === 'enroll' && weak.score < t.confidentScore) {
    // BlazeFace: its score is the evidence (SSD misses tight crops); tiny: SSD must confirm.
    if (detector === 'blazeface') {
      imageVerdicts.push({
        code: 'unconfirmed_face', severity: 'warning',
        message: `the face detector's best box scored ${weak.score.toFixed(3)} (under ${t.confidentScore}); products and patterns score 0.6-0.77, check that the image shows a face`,
        details: { score: weak.score, confidentScore: t.confidentScore },
      });
    } else if (!(await confirmedBySsd(models, img, t))) {
      imageVerdicts.push({
        code: 'unconfirmed_face', severity: 'warning',
        message: `the face detector's best box scored ${weak.score.toFixed(3)} (under ${t.confidentScore}) and SSD MobileNet v1 found no face scoring ${CONFIRM_MIN_SCORE}; check that the image shows a face`,
        details: { score: weak.score, confidentScore: t.confidentScore, confirmMinScore: CONFIRM_MIN_SCORE },
      });
    }
  }

  const aligned = await Promise.all(chosen.map((j) => alignFace(img, j.face.landmarks, method)));
  const okIndex = chosen.flatMap((j, i) => (j.refusal === null ? [i] : []));
  const descriptors = await describeFaces(models, okIndex.map((i) => aligned[i].image), { flip });
  return chosen.map((j, i) => ({
    box: j.face.box,
    score: j.face.score,
    landmarks: j.face.landmarks,
    descriptorInput: aligned[i].image,
    descriptor: j.refusal === null ? descriptors[okIndex.indexOf(i)] : null,
    verdicts: j.refusal ? [j.refusal, ...imageVerdicts] : imageVerdicts,
  }));
}
