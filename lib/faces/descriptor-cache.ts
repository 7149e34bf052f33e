/**
 * Descriptors of a folder-per-identity data set, computed once and cached as JSON under `cacheDir`
 * in two layers: the detections (landmarks and verdicts, keyed by the data's bytes, the weight pins
 * and the detection options), then the descriptors (keyed by the detections and the alignment). The
 * Siamese head trains on these vectors (`scripts/train.ts --dataset=vectors:<file>`); `evaluate
 * verify` compares alignments on them.
 */
import { createHash } from 'node:crypto';
import { readJsonCache, writeJsonCache } from '@/lib/datasets/cache';
import { listFolderImages } from '@/lib/datasets/folder';
import { AppError } from '@/lib/errors';
import { decodeImage } from '@/lib/imaging';
import type { FaceModels } from './face-api';
import { alignFace, LEGACY_ALIGNMENT, wholeImageInput, type FaceAlignment } from './align';
import { describeFaces } from './descriptor';
import type { FaceDetector } from './detect';
import { DEFAULT_FACE_THRESHOLDS, prepareFaces, type DetectMode, type FaceThresholds } from './prepare';
import type { VerdictCode } from './verdicts';

/** Bump when detection or the cache layout changes: old caches are then ignored. */
const DETECTION_LAYOUT = 'face-detections-v1';
/** Bump when alignment, the descriptor or the cache layout changes. */
const CACHE_LAYOUT = 'face-descriptors-v3';
/** Faces described per batch (the decoded images of one batch are held at once). */
const DESCRIBE_BATCH = 16;

/** One image's detection, as an enrolment sees it. */
export interface DetectedImage {
  /** Identity (folder name). */
  identity: string;
  /** Where the file came from. */
  source: string;
  /** The chosen face's 68 landmarks `[x, y]` in image pixels; null for the whole image or a refusal. */
  landmarks: [number, number][] | null;
  /** Verdict codes (a refusal first when refused). */
  verdicts: VerdictCode[];
  /** Whether enrolment refuses the image. */
  refused: boolean;
}

/** One image's outcome. */
export interface DescribedImage {
  /** Identity (folder name). */
  identity: string;
  /** Where the file came from. */
  source: string;
  /** Raw 128-d descriptor (unit length with `flip`); null when the image was refused. */
  descriptor: number[] | null;
  /** Verdict codes (a refusal first when refused). */
  verdicts: VerdictCode[];
}

/** A cached descriptor file. */
export interface DescriptorCache {
  /** Cache layout tag. */
  layout: string;
  /** Cache key (also in the file name). */
  key: string;
  /** Data root the images came from. */
  root: string;
  /** Detection mode and detector used. */
  mode: DetectMode;
  /** Detector used. */
  detector: FaceDetector;
  /** Crop and flip of the descriptors. */
  alignment: FaceAlignment;
  /** Images in `listFolderImages` order. */
  images: DescribedImage[];
}

/** Options of `describeFolder`. */
export interface DescribeFolderOptions {
  /** Loaded face models. */
  models: FaceModels;
  /** Detection mode (default auto). */
  mode?: DetectMode;
  /** Detector (default tiny). */
  detector?: FaceDetector;
  /** Threshold overrides. */
  thresholds?: Partial<FaceThresholds>;
  /** Crop and flip (default `LEGACY_ALIGNMENT`). */
  alignment?: FaceAlignment;
  /** Cache folder (default `runs/cache`). */
  cacheDir?: string;
  /** Progress callback. */
  log?: (msg: string) => void;
}

/**
 * Detects the enrolled face of every image under `root` (folder or .zip) as an enrolment would
 * (`prepareFaces`, purpose enroll), cached by the data's bytes, the weight pins and the detection
 * options, so alignment variants re-describe without re-detecting.
 */
export async function detectFolder(root: string, opts: Omit<DescribeFolderOptions, 'alignment'>): Promise<{ key: string; file: string; cached: boolean; images: DetectedImage[] }> {
  const mode = opts.mode ?? 'auto';
  const detector = opts.detector ?? 'blazeface';
  const files = await listFolderImages(root);
  const hash = createHash('sha256').update(JSON.stringify([DETECTION_LAYOUT, opts.models.pins, detector === 'blazeface' ? opts.models.blazeFace.pins : null, mode, detector, { ...DEFAULT_FACE_THRESHOLDS, ...opts.thresholds }]));
  for (const f of files) hash.update(f.source).update(f.bytes);
  const key = hash.digest('hex').slice(0, 16);
  const { file, existing } = await readJsonCache<{ layout: string; key: string; images: DetectedImage[] }>(root, 'faces', DETECTION_LAYOUT, key, opts.cacheDir);
  if (existing) return { key, file, cached: true, images: existing.images };

  const images: DetectedImage[] = [];
  const t0 = Date.now();
  for (const [i, f] of files.entries()) {
    try {
      const [face] = await prepareFaces(await decodeImage(f.bytes), { mode, purpose: 'enroll', detector, thresholds: opts.thresholds, models: opts.models });
      const landmarks = face.landmarks?.map((p): [number, number] => [p.x, p.y]) ?? null;
      images.push({ identity: f.identity, source: f.source, landmarks, verdicts: face.verdicts.map((v) => v.code), refused: false });
    } catch (e) {
      if (!(e instanceof AppError) || !['no_face', 'face_too_small', 'low_score'].includes(e.code)) throw e;
      images.push({ identity: f.identity, source: f.source, landmarks: null, verdicts: [e.code as VerdictCode], refused: true });
    }
    if ((i + 1) % 50 === 0) opts.log?.(`detected ${i + 1}/${files.length} images (${((Date.now() - t0) / (i + 1)).toFixed(0)} ms/image)`);
  }
  await writeJsonCache(file, { layout: DETECTION_LAYOUT, key, images });
  return { key, file, cached: false, images };
}

/**
 * Describes every image under `root` as an enrolment would: the cached detections
 * (`detectFolder`), then each face aligned by `alignment` (the whole image where auto mode fell
 * back to it) and described; cached by the detections' key and the alignment.
 */
export async function describeFolder(root: string, opts: DescribeFolderOptions): Promise<DescriptorCache & { file: string; cached: boolean }> {
  const mode = opts.mode ?? 'auto';
  const detector = opts.detector ?? 'tiny';
  const alignment = opts.alignment ?? LEGACY_ALIGNMENT;
  const detected = await detectFolder(root, opts);
  const key = createHash('sha256').update(JSON.stringify([CACHE_LAYOUT, detected.key, alignment])).digest('hex').slice(0, 16);
  const { file, existing } = await readJsonCache<DescriptorCache>(root, 'descriptors', CACHE_LAYOUT, key, opts.cacheDir);
  if (existing) return { ...existing, file, cached: true };

  const bytes = new Map((await listFolderImages(root)).map((f) => [f.source, f.bytes]));
  const usable = detected.images.filter((d) => !d.refused);
  const descriptors = new Map<string, number[]>();
  for (let start = 0; start < usable.length; start += DESCRIBE_BATCH) {
    const batch = usable.slice(start, start + DESCRIBE_BATCH);
    const inputs = await Promise.all(batch.map(async (d) => {
      const img = await decodeImage(bytes.get(d.source)!);
      return d.landmarks ? (await alignFace(img, d.landmarks.map(([x, y]) => ({ x, y })), alignment.method)).image : wholeImageInput(img);
    }));
    const out = await describeFaces(opts.models, inputs, { flip: alignment.flip });
    for (const [k, d] of batch.entries()) descriptors.set(d.source, Array.from(out[k]));
    if (Math.floor((start + batch.length) / 400) > Math.floor(start / 400)) opts.log?.(`described ${start + batch.length}/${usable.length} faces`);
  }
  const images = detected.images.map((d) => ({ identity: d.identity, source: d.source, descriptor: descriptors.get(d.source) ?? null, verdicts: d.verdicts }));
  const out: DescriptorCache = { layout: CACHE_LAYOUT, key, root, mode, detector, alignment, images };
  await writeJsonCache(file, out);
  return { ...out, file, cached: false };
}

/** The labelled-vectors JSON (`lib/training/vector-dataset.ts`) of the usable images of `identities`. */
export function toLabelledVectors(images: readonly DescribedImage[], identities: ReadonlySet<string>): { format: 'labelled-vectors'; dim: number; identities: { identity: string; vectors: number[][] }[] } {
  const by = new Map<string, number[][]>();
  for (const img of images) {
    if (!img.descriptor || !identities.has(img.identity)) continue;
    if (!by.has(img.identity)) by.set(img.identity, []);
    by.get(img.identity)!.push(img.descriptor);
  }
  return { format: 'labelled-vectors', dim: 128, identities: [...by].map(([identity, vectors]) => ({ identity, vectors })) };
}
