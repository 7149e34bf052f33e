/**
 * Descriptors of a folder-per-identity data set, computed once (detect, align, describe) and cached
 * as JSON under `cacheDir`, keyed by the data's bytes, the weight pins and the prepare options: the
 * Siamese head then trains on these vectors (`scripts/train.ts --dataset=vectors:<file>`).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { listFolderImages } from '@/lib/datasets/folder';
import { AppError } from '@/lib/errors';
import { decodeImage } from '@/lib/imaging';
import type { FaceModels } from './face-api';
import type { FaceDetector } from './detect';
import { DEFAULT_FACE_THRESHOLDS, prepareFaces, type DetectMode, type FaceThresholds } from './prepare';
import type { VerdictCode } from './verdicts';

/** Bump when detection, alignment or the cache layout changes: old caches are then ignored. */
const CACHE_LAYOUT = 'face-descriptors-v2';

/** One image's outcome. */
export interface DescribedImage {
  /** Identity (folder name). */
  identity: string;
  /** Where the file came from. */
  source: string;
  /** Raw 128-d descriptor; null when the image was refused. */
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
  /** Cache folder (default `runs/cache`). */
  cacheDir?: string;
  /** Progress callback. */
  log?: (msg: string) => void;
}

/** Describes every image under `root` (folder or .zip) as an enrolment would, reading the cache when present. */
export async function describeFolder(root: string, opts: DescribeFolderOptions): Promise<DescriptorCache & { file: string; cached: boolean }> {
  const mode = opts.mode ?? 'auto';
  const detector = opts.detector ?? 'blazeface';
  const files = await listFolderImages(root);
  const hash = createHash('sha256').update(JSON.stringify([CACHE_LAYOUT, opts.models.pins, detector === 'blazeface' ? opts.models.blazeFace.pins : null, mode, detector, { ...DEFAULT_FACE_THRESHOLDS, ...opts.thresholds }]));
  for (const f of files) hash.update(f.source).update(f.bytes);
  const key = hash.digest('hex').slice(0, 16);
  const stem = path.basename(root).replace(/\.zip$/i, '').replace(/[^A-Za-z0-9]+/g, '-');
  const file = path.join(opts.cacheDir ?? 'runs/cache', `${stem}-descriptors-${key}.json`);
  const existing = await readFile(file, 'utf8').then((t) => JSON.parse(t) as DescriptorCache).catch(() => null);
  if (existing?.key === key && existing.layout === CACHE_LAYOUT) return { ...existing, file, cached: true };

  const images: DescribedImage[] = [];
  const t0 = Date.now();
  for (const [i, f] of files.entries()) {
    try {
      const [face] = await prepareFaces(await decodeImage(f.bytes), { mode, purpose: 'enroll', detector, thresholds: opts.thresholds, models: opts.models });
      images.push({ identity: f.identity, source: f.source, descriptor: Array.from(face.descriptor!), verdicts: face.verdicts.map((v) => v.code) });
    } catch (e) {
      if (!(e instanceof AppError) || !['no_face', 'face_too_small', 'low_score'].includes(e.code)) throw e;
      images.push({ identity: f.identity, source: f.source, descriptor: null, verdicts: [e.code as VerdictCode] });
    }
    if ((i + 1) % 50 === 0) opts.log?.(`described ${i + 1}/${files.length} images (${((Date.now() - t0) / (i + 1)).toFixed(0)} ms/image)`);
  }
  const out: DescriptorCache = { layout: CACHE_LAYOUT, key, root, mode, detector, images };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, JSON.stringify(out));
  await rename(`${file}.tmp`, file);
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
