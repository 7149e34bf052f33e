/**
 * The gallery adapter (issue 8): a collection's enrolled identities as a training data set. The
 * training core reads `Dataset`s and knows nothing of the database; this joins them. Identities
 * are split by a seeded draw into training, calibration (the candidate's thresholds) and
 * evaluation (candidate vs current), so the comparison runs on identities neither model trained on
 * nor the candidate calibrated on. A share of each training identity's images is held out of
 * training too (issue 19): the second comparison, on new images of the identities the candidate
 * trained on, which is what a search of the gallery's own identities meets.
 */
import type { Db } from '@/lib/db/client';
import { findIdentityBlobs } from '@/lib/db/identities';
import { countImagesByIdentity } from '@/lib/db/images';
import type { Dataset, IdentityImages, VectorSpec } from '@/lib/datasets/types';
import { InputError } from '@/lib/errors';
import type { PreprocessSpec } from '@/lib/imaging';
import { createRng } from '@/lib/calibration/rng';
import type { BlobStore } from '@/lib/matching/runtime/blob-store';

/** One gallery identity with its images' preprocessed pixels (identity = its id, group = "gallery"). */
export type GalleryIdentity = IdentityImages & { name: string };

/** Training / calibration / evaluation identities of a gallery. */
export interface GallerySplit {
  /** Training identities with the images they train on. */
  train: GalleryIdentity[];
  /** The images of training identities held out of training (`TRAINED_QUERY_SHARE`), per identity that has any. */
  trainedQueries: GalleryIdentity[];
  calibration: GalleryIdentity[];
  evaluation: GalleryIdentity[];
}

/**
 * Share of a training identity's images held out of training as queries of the trained-identity
 * comparison: round(share · n), at least 1, from identities with 3+ images (2 stay to train on).
 */
export const TRAINED_QUERY_SHARE = 0.25;

/** Fewest identities (2+ examples each) a split needs: 2 to train, 2 to calibrate, 2 to evaluate. */
export const MIN_IDENTITIES_FOR_RETRAIN = 6;

/**
 * A model input of a stored image's bytes (pixels for drawings, a backbone feature for photos, a
 * face descriptor for faces); null skips the image.
 */
export type GalleryInput = (bytes: Uint8Array) => Promise<Float32Array | null>;

/**
 * Loads every identity with 2+ usable images through `toInput` (an identity left with fewer is
 * dropped); calls `onImage` after each image.
 */
export async function loadGalleryIdentities(
  db: Db,
  blobs: BlobStore,
  collectionId: string,
  toInput: GalleryInput,
  onImage?: (done: number, total: number) => void,
): Promise<GalleryIdentity[]> {
  const rows = await findIdentityBlobs(db, collectionId);
  const usable = rows.filter((r) => r.images.length >= 2);
  const total = usable.reduce((n, r) => n + r.images.length, 0);
  let done = 0;
  const out: GalleryIdentity[] = [];
  for (const r of usable) {
    const images: Float32Array[] = [];
    for (const img of r.images) {
      const input = await toInput(await blobs.read(img.blob.sha256));
      if (input) images.push(input);
      onImage?.(++done, total);
    }
    if (images.length >= 2) out.push({ identity: r.id, name: r.name, group: 'gallery', images });
  }
  return out;
}

/** Throws `gallery_too_small` unless `count` identities with 2+ images are enough to split. */
export function requireGallerySize(count: number): void {
  if (count < MIN_IDENTITIES_FOR_RETRAIN) {
    throw new InputError(
      'gallery_too_small',
      `retraining needs ${MIN_IDENTITIES_FOR_RETRAIN}+ identities with 2+ images each (2 train, 2 calibrate, 2 evaluate); this gallery has ${count}`,
    );
  }
}

/**
 * Identities of a collection with 2+ enrolled images: the most `loadGalleryIdentities` can load
 * (it may load fewer when a face image yields no face), so a retrain is refused at submit below it.
 */
export async function countGalleryIdentities(db: Db, collectionId: string): Promise<number> {
  return (await countImagesByIdentity(db, collectionId)).filter((n) => n >= 2).length;
}

/**
 * Seeded split by identity: `evaluationShare` and `calibrationShare` of identities (at least 2
 * each), the rest train; then `TRAINED_QUERY_SHARE` of each training identity's images (seeded)
 * become its trained queries.
 */
export function splitGallery(identities: GalleryIdentity[], shares: { evaluation: number; calibration: number }, seed: number): GallerySplit {
  requireGallerySize(identities.length);
  const order = createRng(seed + 101).shuffle(identities.map((_, i) => i));
  const nEval = Math.max(2, Math.round(identities.length * shares.evaluation));
  const nCal = Math.max(2, Math.round(identities.length * shares.calibration));
  const take = (from: number, to: number) => order.slice(from, to).sort((a, b) => a - b).map((i) => identities[i]);
  const rng = createRng(seed + 211);
  const train: GalleryIdentity[] = [];
  const trainedQueries: GalleryIdentity[] = [];
  for (const g of take(nEval + nCal, identities.length)) {
    const held = g.images.length >= 3 ? Math.max(1, Math.round(g.images.length * TRAINED_QUERY_SHARE)) : 0;
    const shuffled = rng.shuffle([...g.images]);
    train.push({ ...g, images: shuffled.slice(held) });
    if (held > 0) trainedQueries.push({ ...g, images: shuffled.slice(0, held) });
  }
  return { evaluation: take(0, nEval), calibration: take(nEval, nEval + nCal), train, trainedQueries };
}

/** A training data set of gallery identities. */
export function galleryDataset(name: string, spec: PreprocessSpec | VectorSpec, identities: GalleryIdentity[]): Dataset {
  return { name, spec, identities: identities.map(({ identity, group, images }) => ({ identity, group, images })) };
}
