/**
 * Embed input: image bytes -> `[{box?, embedding, verdicts}]`.
 * Object collections embed the whole image with the model's own preprocessing. Face collections
 * go through a `FacePreparer` (detection and alignment) that lib/faces registers; until one is
 * registered, face images answer `model_not_trained` (503).
 */
import { env } from '@/lib/config/env';
import type { ModelManifest } from '@/lib/embedder/manifest';
import { NotReadyError, assert } from '@/lib/errors';
import { decodeImage, preprocessImage, type Box, type DecodedImage } from '@/lib/imaging';
import type { EmbeddingWorker } from './embedding-worker';
import type { DetectSetting } from '@/lib/matching/contract/collections';

export type { DetectSetting };

/** One model input cut from an image, before embedding. */
export interface PreparedInput {
  /** Face box in original pixels (faces only). */
  box?: Box;
  /** Model input: `inputSizePx^2 * channels` floats for image models (photo models: the backbone's), `dim` floats for face descriptors. */
  input: Float32Array;
  /** Verdict codes about this input, e.g. `several_faces`. */
  verdicts: string[];
}

/** One embedded input: the seam's output. */
export interface EmbeddedInput {
  /** Face box in original pixels (faces only). */
  box?: Box;
  /** L2-normalised embedding under the collection's model. */
  embedding: Float32Array;
  /** The photo backbone's feature the embedding came from (photo models, when asked). */
  feature?: Float32Array;
  /** Verdict codes. */
  verdicts: string[];
}

/** What a preparer knows about the call. */
export interface PrepareContext {
  /** Manifest of the collection's model (input spec, version). */
  manifest: ModelManifest;
  /** The collection's (or request's) detection setting. */
  detect: DetectSetting;
  /** 'enroll' keeps one face per image; 'search' keeps every face. */
  purpose: 'enroll' | 'search';
}

/**
 * Turns a decoded image into face inputs, ordered largest face first. Throws `InputError` with
 * code `no_face`, `face_too_small` or `low_score` when the image has no usable face.
 */
export type FacePreparer = (img: DecodedImage, ctx: PrepareContext) => Promise<PreparedInput[]>;

/** Decodes bytes with the configured pixel limit (InputError: undecodable, unsupported_type, too_many_pixels). */
export function decodeUpload(bytes: Uint8Array): Promise<DecodedImage> {
  return decodeImage(bytes, { maxPixels: env.MAX_IMAGE_PIXELS });
}

/** Cuts a decoded image into model inputs for a collection of `kind` (face: with the runtime's `preparer`, null without a face model). */
export async function prepareImage(preparer: FacePreparer | null, img: DecodedImage, kind: 'face' | 'object', ctx: PrepareContext): Promise<PreparedInput[]> {
  if (kind === 'face') {
    if (!preparer) {
      throw new NotReadyError('model_not_trained', 'face collections need face detection and a face model, and neither is loaded; train one (npm run train) and restart');
    }
    return preparer(img, ctx);
  }
  // A photo model takes its backbone's input; the worker runs the backbone, then the head (lib/embedder/photo-model.ts).
  const { input: spec, backbone } = ctx.manifest;
  const preprocess = backbone ? backbone.preprocess : spec.type === 'image' ? spec.preprocess : null;
  assert(preprocess !== null, `object model ${ctx.manifest.version} must take images or name a photo backbone, its manifest says ${spec.type} input and no backbone`);
  return [{ input: await preprocessImage(img, preprocess), verdicts: [] }];
}

/**
 * Embeds prepared inputs of several images in one worker call, keeping each image's grouping; with
 * `features`, a photo model's backbone features come back beside the embeddings.
 */
export async function embedPrepared(embedder: EmbeddingWorker, modelVersion: string, prepared: PreparedInput[][], opts: { features?: boolean } = {}): Promise<EmbeddedInput[][]> {
  const inputs = prepared.flat().map((p) => p.input);
  const { embeddings, features } = opts.features ? await embedder.embedWithFeatures(modelVersion, inputs) : { embeddings: await embedder.embed(modelVersion, inputs), features: null };
  let i = 0;
  return prepared.map((group) =>
    group.map((p) => {
      const feature = features?.[i];
      return { ...(p.box ? { box: p.box } : {}), embedding: embeddings[i++], ...(feature ? { feature } : {}), verdicts: p.verdicts };
    }),
  );
}
