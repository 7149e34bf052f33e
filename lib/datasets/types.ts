/**
 * One interface for every training / evaluation data set: identities -> images.
 * Images are already preprocessed (HWC Float32Array in [0,1]) or raw vectors for vector data sets.
 */
import type { PreprocessSpec } from '@/lib/imaging';

/** Spec of a vector data set: each "image" is a raw embedding-like vector of length `dim`. */
export interface VectorSpec {
  /** Marks a vector data set. */
  type: 'vector';
  /** Length of each vector. */
  dim: number;
}

/** The images of one identity. */
export interface IdentityImages {
  /** Stable identity key, unique within the data set (e.g. "Korean/character07"). */
  identity: string;
  /** Coarser grouping used for splits and within-group protocols (e.g. the alphabet). */
  group: string;
  /** Preprocessed images: HWC Float32Array of inputSizePx*inputSizePx*channels, or raw vectors. */
  images: Float32Array[];
}

/** A data set: its name, how its images were prepared, and its identities. */
export interface Dataset {
  /** Human-readable source name, e.g. "omniglot-background". */
  name: string;
  /** How each image was prepared. */
  spec: PreprocessSpec | VectorSpec;
  /** Identities in a stable order. */
  identities: IdentityImages[];
}

/** Number of images over all identities. */
export function countImages(dataset: Dataset): number {
  let n = 0;
  for (const id of dataset.identities) n += id.images.length;
  return n;
}
