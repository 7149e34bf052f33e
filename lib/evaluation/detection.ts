/**
 * `evaluate detect`: how many images of a folder yield a usable face, per detector, through the
 * service's own `prepareFaces` (detection, padded retry, verdicts, alignment, descriptor) with
 * each detector's thresholds. Images are grouped by the file name's view prefix (CFP's `frontal_`,
 * `profile_`; `all` otherwise). Detect mode `always`, so a miss counts as `no_face` rather than
 * being hidden by the whole-image fallback.
 */
import path from 'node:path';
import { wilsonRate, type IntervalRate } from '@/lib/calibration';
import { listFolderImages } from '@/lib/datasets/folder';
import { decodeImage } from '@/lib/imaging';
import { FaceRefusedError, prepareFaces, type FaceDetector, type FaceModels, type FaceThresholds, type FacePurpose } from '@/lib/faces';

/** One detector to evaluate, with the thresholds its face model uses. */
export interface DetectorUnderTest {
  /** Detector. */
  detector: FaceDetector;
  /** Its verdict thresholds. */
  thresholds: FaceThresholds;
}

/** Counts of one group of images under one detector. */
export interface DetectionGroupResult {
  /** Images with a usable face (enroll: the chosen face has a descriptor). */
  found: IntervalRate;
  /** Refused images by refusal code. */
  refused: Record<string, number>;
  /** Each refused image: `source: code`, to look at the misses. */
  misses: string[];
  /** Warnings by code (an image may carry several). */
  warnings: Record<string, number>;
  /** Faces returned in total (search purpose: every face found; enroll: one per found image). */
  faces: number;
  /** Lowest score and quantiles (10/50/90%) of the chosen faces. */
  scoreQuantiles: [number, number, number, number] | null;
  /** Mean wall time per image (decode excluded), milliseconds. */
  msPerImage: number;
}

/** Result of `evaluate detect`. */
export interface DetectionResult {
  /** Task name. */
  task: 'detect';
  /** The folder measured. */
  folder: string;
  /** enroll (largest face) or search (every face). */
  purpose: FacePurpose;
  /** Every N-th image of the folder was measured. */
  every: number;
  /** Images measured. */
  images: number;
  /** detector -> group -> counts. */
  detectors: Record<string, Record<string, DetectionGroupResult>>;
}

/** The view prefix of a file (`frontal_03.jpg` -> `frontal`), or `all`. */
export function groupOf(source: string): string {
  const m = /^([a-z]+)_\d+\.[a-z]+$/i.exec(path.basename(source));
  return m ? m[1].toLowerCase() : 'all';
}

function quantiles(values: number[]): [number, number, number, number] | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return [s[0], at(0.1), at(0.5), at(0.9)];
}

/** Runs every detector over every image of `folder` (a folder per identity, or a .zip). */
export async function evaluateDetection(
  folder: string,
  detectors: readonly DetectorUnderTest[],
  opts: { models: FaceModels; purpose: FacePurpose; every?: number; log: (msg: string) => void },
): Promise<DetectionResult> {
  const every = opts.every ?? 1;
  const images = (await listFolderImages(folder)).filter((_, i) => i % every === 0);
  const out: DetectionResult = { task: 'detect', folder, purpose: opts.purpose, every, images: images.length, detectors: {} };
  for (const d of detectors) {
    const groups = new Map<string, { found: number; total: number; refused: Record<string, number>; misses: string[]; warnings: Record<string, number>; faces: number; scores: number[]; ms: number }>();
    for (const [i, im] of images.entries()) {
      const key = groupOf(im.source);
      const g = groups.get(key) ?? { found: 0, total: 0, refused: {}, misses: [], warnings: {}, faces: 0, scores: [], ms: 0 };
      groups.set(key, g);
      g.total++;
      const img = await decodeImage(im.bytes);
      const t0 = performance.now();
      try {
        const faces = await prepareFaces(img, { mode: 'always', purpose: opts.purpose, detector: d.detector, thresholds: d.thresholds, models: opts.models });
        const usable = faces.filter((f) => f.descriptor !== null);
        if (usable.length > 0) g.found++;
        g.faces += usable.length;
        if (faces[0].score !== null) g.scores.push(faces[0].score);
        for (const v of new Set(faces.flatMap((f) => f.verdicts.filter((x) => x.severity === 'warning').map((x) => x.code)))) g.warnings[v] = (g.warnings[v] ?? 0) + 1;
      } catch (err) {
        if (!(err instanceof FaceRefusedError)) throw err;
        g.refused[err.code] = (g.refused[err.code] ?? 0) + 1;
        g.misses.push(`${im.source}: ${err.code}`);
      }
      g.ms += performance.now() - t0;
      if ((i + 1) % 50 === 0) opts.log(`${d.detector}: ${i + 1}/${images.length}`);
    }
    out.detectors[d.detector] = Object.fromEntries(
      [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([key, g]) => [key, {
        found: wilsonRate(g.found, g.total), refused: g.refused, misses: g.misses, warnings: g.warnings, faces: g.faces, scoreQuantiles: quantiles(g.scores), msPerImage: g.ms / g.total,
      }]),
    );
    opts.log(`${d.detector}: ${JSON.stringify(out.detectors[d.detector])}`);
  }
  return out;
}
