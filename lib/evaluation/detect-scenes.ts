/**
 * `evaluate detect --scenes N` (issue 18): faces found in photos of several faces. No real group
 * photo is available offline, so each scene is a seeded composite: a background photo (grocery-store)
 * resized to 640x480 (cover), with 2-6 face crops pasted at random, non-overlapping positions, each
 * scaled so its long side is 48-160 px. The crops come from the identities at ODD positions of the
 * sorted names: the even half calibrates the face model's curve and holds its cohort
 * (`make-cohort.ts`). Each scene goes through the service's search path (`prepareFaces`, purpose
 * `search`, detect `always`), which returns every face scoring `minScore` or more.
 *
 * Matching: a pasted crop is found when a returned face's box has IoU >= 0.4 with the crop's box or
 * its centre lies inside it (the crops are tight, so the detector's box, eyebrows to mouth, sits
 * inside the crop and is smaller: IoU alone would under-count). Each returned face matches at most
 * one crop; one matching none is a false detection. The detector's own boxes (at `detectMinScore`)
 * are matched the same way, to tell a face the detector missed from one the search's selection
 * dropped (search keeps faces scoring `minScore` or more).
 *
 * Composites are not group photos: the crops have hard edges, the background is an upscaled product
 * photo with no bodies, and there is no occlusion, motion blur or shared lighting.
 */
import { wilsonRate, type IntervalRate } from '@/lib/calibration';
import { listFolderImages, type FolderImage } from '@/lib/datasets/folder';
import { boxIou, centreInside, decodeImage, pasteImage, resizeImage, type Box, type DecodedImage } from '@/lib/imaging';
import { detectFaces, FaceRefusedError, prepareFaces, type FaceModels } from '@/lib/faces';
import { groupOf, type DetectorUnderTest } from './detection';
import { createUniform, shuffled } from './random';

/** Shape of the generated scenes. */
export interface SceneSpec {
  /** Scene width. */
  widthPx: number;
  /** Scene height. */
  heightPx: number;
  /** Fewest faces drawn per scene. */
  minFaces: number;
  /** Most faces drawn per scene. */
  maxFaces: number;
  /** Smallest long side of a pasted face crop. */
  minSidePx: number;
  /** Largest long side of a pasted face crop. */
  maxSidePx: number;
  /** Free pixels kept between two crops. */
  gapPx: number;
}

/** The scenes `evaluate detect --scenes` measures. */
export const DEFAULT_SCENE_SPEC: Readonly<SceneSpec> = Object.freeze({ widthPx: 640, heightPx: 480, minFaces: 2, maxFaces: 6, minSidePx: 48, maxSidePx: 160, gapPx: 4 });

/** Random positions tried per crop before it is left out of a crowded scene. */
const PLACE_TRIES = 200;
/** IoU at which a returned face matches a pasted crop (or its centre lies inside the crop). */
export const SCENE_MATCH_IOU = 0.4;
/** Face size buckets by the crop's long side, px: [lo, hi]. */
const SIZE_BUCKETS: readonly [number, number][] = [[48, 79], [80, 119], [120, 160]];

/** A face crop to paste. */
export interface SceneCrop {
  /** Decoded crop. */
  image: DecodedImage;
  /** Where it came from (its view prefix names the bucket: `frontal`, `profile`). */
  source: string;
}

/** A pasted crop: its box in the scene is the ground truth. */
export interface PlacedFace {
  /** Where the crop's pixels are, integer corners. */
  box: Box;
  /** The crop's source. */
  source: string;
  /** Its long side in the scene. */
  sidePx: number;
}

/** A composite scene and its ground truth. */
export interface Scene {
  /** 3-channel scene. */
  image: DecodedImage;
  /** Faces pasted, largest first. */
  faces: PlacedFace[];
  /** Crops that found no free place and were left out. */
  leftOut: number;
}

/**
 * Pastes `crops` onto `background` (resized to cover the scene), each scaled to a long side drawn
 * uniformly from [minSidePx, maxSidePx] (aspect kept), largest first, at a uniform random position
 * at least `gapPx` from every crop already placed; a crop with no free place after `PLACE_TRIES`
 * tries is left out.
 */
export async function composeScene(background: DecodedImage, crops: readonly SceneCrop[], rng: () => number, spec: SceneSpec = DEFAULT_SCENE_SPEC): Promise<Scene> {
  const image = await resizeImage(background, { widthPx: spec.widthPx, heightPx: spec.heightPx, fit: 'cover', channels: 3 });
  const sized = crops
    .map((crop) => ({ crop, sidePx: spec.minSidePx + Math.floor(rng() * (spec.maxSidePx - spec.minSidePx + 1)) }))
    .sort((a, b) => b.sidePx - a.sidePx);
  const faces: PlacedFace[] = [];
  for (const { crop, sidePx } of sized) {
    const scale = sidePx / Math.max(crop.image.width, crop.image.height);
    const width = Math.max(1, Math.round(crop.image.width * scale));
    const height = Math.max(1, Math.round(crop.image.height * scale));
    const free = (x: number, y: number) => faces.every(({ box: b }) =>
      x + width + spec.gapPx <= b.x || b.x + b.width + spec.gapPx <= x || y + height + spec.gapPx <= b.y || b.y + b.height + spec.gapPx <= y);
    for (let t = 0; t < PLACE_TRIES; t++) {
      const x = Math.floor(rng() * (spec.widthPx - width + 1));
      const y = Math.floor(rng() * (spec.heightPx - height + 1));
      if (!free(x, y)) continue;
      pasteImage(image, await resizeImage(crop.image, { widthPx: width, heightPx: height, channels: 3 }), x, y);
      faces.push({ box: { x, y, width, height }, source: crop.source, sidePx });
      break;
    }
  }
  return { image, faces, leftOut: crops.length - faces.length };
}

/**
 * Matches returned boxes to true boxes, returned boxes in order: each takes the unmatched true box
 * of highest IoU among those with IoU >= `SCENE_MATCH_IOU` or holding its centre. Returns, per true
 * box, the index of its returned box (or null), and the indices of returned boxes matching none.
 */
export function matchFaces(truth: readonly Box[], found: readonly Box[]): { byTruth: (number | null)[]; unmatched: number[] } {
  const byTruth: (number | null)[] = truth.map(() => null);
  const unmatched: number[] = [];
  for (const [i, box] of found.entries()) {
    let best = -1;
    let bestIou = -1;
    for (const [j, t] of truth.entries()) {
      const iou = boxIou(box, t);
      if (byTruth[j] === null && (iou >= SCENE_MATCH_IOU || centreInside(box, t)) && iou > bestIou) {
        best = j;
        bestIou = iou;
      }
    }
    if (best < 0) unmatched.push(i);
    else byTruth[best] = i;
  }
  return { byTruth, unmatched };
}

/** Found and detected counts of a group of pasted faces. */
export interface SceneGroupResult {
  /** Faces matched by a returned face with a descriptor (what a search queries with). */
  found: IntervalRate;
  /** Faces matched by any returned face, refused ones (`face_too_small`) included. */
  detected: IntervalRate;
  /**
   * Faces matched by a box of the detector itself at `detectMinScore` or more (no padded retry),
   * before the search chooses its faces: where a face was lost, detector or selection.
   */
  boxed: IntervalRate;
  /** Of the boxed faces, those whose box scored under `confidentScore` (search dropped them beside a confident face until it kept every face over `minScore`). */
  boxedWeak: number;
}

/** Result of `evaluate detect --scenes`. */
export interface SceneDetectionResult {
  /** Task name. */
  task: 'detect-scenes';
  /** Folder-per-identity the face crops come from (odd positions of the sorted identity names). */
  faceFolder: string;
  /** Folder of background photos. */
  backgroundFolder: string;
  /** Seed of the scene generator. */
  seed: number;
  /** Scene shape. */
  spec: SceneSpec;
  /** Matching rule. */
  match: string;
  /** Scenes measured. */
  scenes: number;
  /** Faces pasted in all scenes, and crops drawn but left out for want of a free place. */
  faces: { placed: number; leftOut: number };
  /** detector -> counts. */
  detectors: Record<string, {
    /** Every pasted face. */
    all: SceneGroupResult;
    /** By the crop's long side, px. */
    bySize: Record<string, SceneGroupResult>;
    /** By the crop's view (`frontal`, `profile`). */
    byView: Record<string, SceneGroupResult>;
    /** Returned faces matching no pasted crop: total, those with a descriptor, per scene, and the scenes with at least one. */
    falseDetections: { total: number; usable: number; perScene: number; scenesWithAny: IntervalRate };
    /** Scenes the search refused as a whole, by code (no face returned). */
    refusedScenes: Record<string, number>;
    /** Mean wall time per scene (composition excluded), milliseconds. */
    msPerScene: number;
  }>;
}

/** Options of `evaluateScenes`. */
export interface EvaluateScenesOptions {
  /** Loaded face models. */
  models: FaceModels;
  /** Scenes to generate. */
  scenes: number;
  /** Seed of the generator. */
  seed: number;
  /** Scene shape (default `DEFAULT_SCENE_SPEC`). */
  spec?: SceneSpec;
  /** Progress. */
  log: (msg: string) => void;
}

/** The images of the identities at odd positions of the sorted names (the complement of make-cohort's half). */
function oddIdentities(files: readonly FolderImage[]): FolderImage[] {
  const names = [...new Set(files.map((f) => f.identity))].sort();
  const odd = new Set(names.filter((_, i) => i % 2 === 1));
  return files.filter((f) => odd.has(f.identity));
}

/** Yields `count` seeded scenes: faces from `faceFolder`'s odd identities on backgrounds from `backgroundFolder`. */
export async function* generateScenes(faceFolder: string, backgroundFolder: string, count: number, seed: number, spec: SceneSpec = DEFAULT_SCENE_SPEC): AsyncGenerator<Scene> {
  const faces = oddIdentities(await listFolderImages(faceFolder));
  const backgrounds = await listFolderImages(backgroundFolder);
  const rng = createUniform(seed);
  for (let s = 0; s < count; s++) {
    const background = await decodeImage(backgrounds[Math.floor(rng() * backgrounds.length)].bytes);
    const n = spec.minFaces + Math.floor(rng() * (spec.maxFaces - spec.minFaces + 1));
    const picked = shuffled(faces, rng).slice(0, n);
    const crops = await Promise.all(picked.map(async (f) => ({ image: await decodeImage(f.bytes), source: f.source })));
    yield composeScene(background, crops, rng, spec);
  }
}

type Tally = { found: number; detected: number; boxed: number; boxedWeak: number; total: number };
const tallyResult = (t: Tally): SceneGroupResult => ({ found: wilsonRate(t.found, t.total), detected: wilsonRate(t.detected, t.total), boxed: wilsonRate(t.boxed, t.total), boxedWeak: t.boxedWeak });

/** Runs each detector over the same seeded scenes through `prepareFaces` (search, detect `always`). */
export async function evaluateScenes(faceFolder: string, backgroundFolder: string, detectors: readonly DetectorUnderTest[], opts: EvaluateScenesOptions): Promise<SceneDetectionResult> {
  const spec = opts.spec ?? DEFAULT_SCENE_SPEC;
  const out: SceneDetectionResult = {
    task: 'detect-scenes', faceFolder, backgroundFolder, seed: opts.seed, spec, scenes: opts.scenes,
    match: `IoU >= ${SCENE_MATCH_IOU} or the returned box's centre inside the pasted crop, one to one`, faces: { placed: 0, leftOut: 0 }, detectors: {},
  };
  for (const d of detectors) {
    const all: Tally = { found: 0, detected: 0, boxed: 0, boxedWeak: 0, total: 0 };
    const bySize = new Map<string, Tally>();
    const byView = new Map<string, Tally>();
    const falses = { total: 0, usable: 0, scenes: 0 };
    const refusedScenes: Record<string, number> = {};
    let ms = 0;
    let s = 0;
    for await (const scene of generateScenes(faceFolder, backgroundFolder, opts.scenes, opts.seed, spec)) {
      const t0 = performance.now();
      let returned: { box: Box; usable: boolean }[] = [];
      try {
        const faces = await prepareFaces(scene.image, { mode: 'always', purpose: 'search', detector: d.detector, thresholds: d.thresholds, models: opts.models });
        returned = faces.flatMap((f) => (f.box ? [{ box: f.box, usable: f.descriptor !== null }] : []));
      } catch (err) {
        if (!(err instanceof FaceRefusedError)) throw err;
        refusedScenes[err.code] = (refusedScenes[err.code] ?? 0) + 1;
      }
      ms += performance.now() - t0;
      // The same seeded scenes for every detector: count them once.
      if (d === detectors[0]) out.faces = { placed: out.faces.placed + scene.faces.length, leftOut: out.faces.leftOut + scene.leftOut };
      const truth = scene.faces.map((f) => f.box);
      const { byTruth, unmatched } = matchFaces(truth, returned.map((r) => r.box));
      const boxes = await detectFaces(opts.models, scene.image, { detector: d.detector, minScore: d.thresholds.detectMinScore });
      const boxedBy = matchFaces(truth, boxes.map((b) => b.box)).byTruth;
      for (const [j, face] of scene.faces.entries()) {
        const bucket = SIZE_BUCKETS.find(([lo, hi]) => face.sidePx >= lo && face.sidePx <= hi);
        const size = bucket ? `${bucket[0]}-${bucket[1]}` : 'other';
        const m = byTruth[j];
        const b = boxedBy[j];
        for (const t of [all, tallyIn(bySize, size), tallyIn(byView, groupOf(face.source))]) {
          t.total++;
          if (b !== null) t.boxed++;
          if (b !== null && boxes[b].score < d.thresholds.confidentScore) t.boxedWeak++;
          if (m !== null) t.detected++;
          if (m !== null && returned[m].usable) t.found++;
        }
      }
      falses.total += unmatched.length;
      falses.usable += unmatched.filter((i) => returned[i].usable).length;
      if (unmatched.length > 0) falses.scenes++;
      if (++s % 25 === 0) opts.log(`${d.detector}: scene ${s}/${opts.scenes}, faces found ${all.found}/${all.total}, false ${falses.total}`);
    }
    out.detectors[d.detector] = {
      all: tallyResult(all),
      bySize: Object.fromEntries([...bySize].sort(([a], [b]) => parseInt(a, 10) - parseInt(b, 10)).map(([k, t]) => [k, tallyResult(t)])),
      byView: Object.fromEntries([...byView].sort(([a], [b]) => a.localeCompare(b)).map(([k, t]) => [k, tallyResult(t)])),
      falseDetections: { total: falses.total, usable: falses.usable, perScene: falses.total / Math.max(1, s), scenesWithAny: wilsonRate(falses.scenes, s) },
      refusedScenes,
      msPerScene: ms / Math.max(1, s),
    };
    opts.log(`${d.detector}: ${JSON.stringify(out.detectors[d.detector])}`);
  }
  return out;
}

function tallyIn(map: Map<string, Tally>, key: string): Tally {
  const t = map.get(key) ?? { found: 0, detected: 0, boxed: 0, boxedWeak: 0, total: 0 };
  map.set(key, t);
  return t;
}
