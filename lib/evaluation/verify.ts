/**
 * `evaluate verify`: how well raw face descriptors separate identities under one alignment, with no
 * threshold policy in the way (issue 18, item 2).
 *   verification  every genuine pair, a seeded sample of impostor pairs (all of them when fewer),
 *                 Euclidean distance of the descriptors; TAR at the distance whose pairwise FAR is
 *                 at most 1e-2 and 1e-3 (`calibrate`).
 *   1-shot rank-1 per seeded repeat, one random image of each identity (with 2+ usable images) is
 *                 the gallery and every other image a query; correct when the nearest gallery
 *                 image is of the query's identity. Pooled over repeats.
 * Refused images take part in neither. Rates come with 95% Wilson intervals and their trials.
 */
import { calibrate, pairDistances, vectorsByIdentity, wilsonRate, type IntervalRate } from '@/lib/calibration';
import { InputError } from '@/lib/errors';
import { describeFolder, loadFaceModel, type FaceAlignment } from '@/lib/faces';
import { euclideanDistance } from '@/lib/index/exact';
import { createUniform, shuffled } from './random';

/** Options of `evaluateVerify`. */
export interface VerifyOptions {
  /** Seed of the impostor sample and the rank-1 draws. */
  seed: number;
  /** Impostor pairs to sample (all of them when there are fewer). */
  impostorPairs: number;
  /** Rank-1 repeats. */
  repeats: number;
}

/** TAR at one target pairwise FAR. */
export interface TarAtFar {
  /** Target pairwise FAR. */
  targetFar: number;
  /** Threshold distance (largest with measured FAR <= target). */
  distance: number;
  /** Measured FAR at that distance, over the impostor pairs. */
  far: number;
  /** Share of genuine pairs at or below the distance. */
  tar: IntervalRate;
}

/** Figures of `evaluateVerify`. */
export interface VerifyFigures {
  identities: number;
  images: number;
  genuinePairs: number;
  impostorPairs: number;
  tarAtFar: TarAtFar[];
  auc: number;
  eer: number;
  /** 1-shot rank-1, pooled over the repeats (trials = queries x repeats). */
  rank1: IntervalRate;
}

const TARGET_FARS = [1e-2, 1e-3] as const;

/** 1-shot rank-1 successes and trials over `repeats` seeded gallery draws. */
function rank1Counts(vectors: readonly Float32Array[], identityOf: readonly number[], repeats: number, rng: () => number): { correct: number; trials: number } {
  const byIdentity = new Map<number, number[]>();
  for (const [i, id] of identityOf.entries()) byIdentity.set(id, [...(byIdentity.get(id) ?? []), i]);
  const eligible = [...byIdentity.values()].filter((ix) => ix.length >= 2);
  let correct = 0;
  let trials = 0;
  for (let r = 0; r < repeats; r++) {
    const gallery = eligible.map((ix) => shuffled(ix, rng)[0]);
    for (const ix of eligible) {
      for (const q of ix) {
        if (gallery.includes(q)) continue;
        let best = -1;
        let bestD = Infinity;
        for (const g of gallery) {
          const d = euclideanDistance('l2', vectors[q], vectors[g]);
          if (d < bestD) [best, bestD] = [g, d];
        }
        trials++;
        if (identityOf[best] === identityOf[q]) correct++;
      }
    }
  }
  return { correct, trials };
}

/** Verification and 1-shot identification figures of labelled descriptors (see the file comment). */
export function evaluateVerify(items: readonly { identity: string; vector: Float32Array }[], opts: VerifyOptions): VerifyFigures {
  const names = [...new Set(items.map((x) => x.identity))];
  if (names.length < 2) throw new InputError('invalid_dataset', `verify needs at least 2 identities with usable images, got ${names.length}`);
  const identityOf = items.map((x) => names.indexOf(x.identity));
  const vectors = items.map((x) => x.vector);
  const rng = createUniform(opts.seed);
  const { genuine, impostor } = pairDistances(vectorsByIdentity(items), { max: opts.impostorPairs, uniform: rng });
  if (genuine.length === 0) throw new InputError('invalid_dataset', 'verify needs an identity with at least 2 usable images');
  const cal = calibrate(genuine, impostor);
  const points = [cal.thresholds.far1e2, cal.thresholds.far1e3];
  const { correct, trials } = rank1Counts(vectors, identityOf, opts.repeats, rng);
  return {
    identities: names.length,
    images: items.length,
    genuinePairs: genuine.length,
    impostorPairs: impostor.length,
    tarAtFar: TARGET_FARS.map((targetFar, k) => ({ targetFar, distance: points[k].distance, far: points[k].far, tar: wilsonRate(Math.round(points[k].tar * genuine.length), genuine.length) })),
    auc: cal.auc,
    eer: cal.eer,
    rank1: wilsonRate(correct, trials),
  };
}

/** Options of `runVerify`. */
export interface RunVerifyOptions extends VerifyOptions {
  /** Face model folder (its detector and thresholds; its alignment unless overridden). */
  modelDir: string;
  /** Alignment override, field by field. */
  alignment: Partial<FaceAlignment>;
  /** Keep only images whose source path matches (e.g. `frontal` on CFP). */
  files?: string;
}

/** JSON line of `evaluate verify`. */
export interface VerifyJson extends VerifyFigures {
  task: 'verify';
  folder: string;
  files: string | null;
  alignment: FaceAlignment;
  /** Images refused by detection (no_face, face_too_small, low_score) among those kept. */
  refused: number;
  seed: number;
  repeats: number;
  model: string;
  /** Where the detections and descriptors are cached. */
  cache: string;
}

/** Describes `folder` with the model's detection and the chosen alignment (cached), then `evaluateVerify`. */
export async function runVerify(folder: string, opts: RunVerifyOptions, log: (msg: string) => void): Promise<VerifyJson> {
  const model = await loadFaceModel(opts.modelDir);
  try {
    const alignment: FaceAlignment = { method: opts.alignment.method ?? model.config.alignment.method, flip: opts.alignment.flip ?? model.config.alignment.flip };
    const described = await describeFolder(folder, { models: model.models, detector: model.config.detector, thresholds: model.config.thresholds, alignment, log });
    log(`descriptors: ${described.file}${described.cached ? ' (cached)' : ''}`);
    const keep = opts.files ? new RegExp(opts.files) : null;
    const kept = described.images.filter((d) => !keep || keep.test(d.source));
    const usable = kept.flatMap((d) => (d.descriptor ? [{ identity: d.identity, vector: Float32Array.from(d.descriptor) }] : []));
    const figures = evaluateVerify(usable, opts);
    return {
      task: 'verify', folder, files: opts.files ?? null, alignment, refused: kept.length - usable.length, seed: opts.seed, repeats: opts.repeats,
      model: model.manifest.version, cache: described.file, ...figures,
    };
  } finally {
    model.dispose();
  }
}
