// Image verdict and refusal codes (lib/matching, lib/faces) in words a person can act on.

const WORDS: Record<string, string> = {
  undecodable: 'The file could not be read as an image (corrupt, truncated or not an image).',
  unsupported_type: 'This file type is not supported; use PNG, JPEG, GIF, WebP, AVIF, BMP or PGM/PPM.',
  too_large: 'The file is larger than the upload limit.',
  too_many_pixels: 'The image has more pixels than the limit; scale it down first.',
  no_face: 'No face was found in the image.',
  face_too_small: 'The face is too small to match reliably; use a closer or larger photo.',
  low_score: 'The face detector was not confident this is a face.',
  duplicate: 'This exact file is already enrolled.',
  whole_image: 'No face was found, so the whole (small) image was used as the face.',
  several_faces: 'Several faces were found; the largest one was enrolled.',
  unconfirmed_face: 'Only a weak face was found and a second detector saw none: check that this image shows a face.',
  near_duplicate: 'Almost identical to an image this identity already has: it adds little.',
  identity_outlier: 'Far from this identity\'s other images: check it is the same person or object.',
  embedder_failed: 'The model failed on this image.',
  embedder_restarting: 'The model worker was restarting; try again in a few seconds.',
};

/** A sentence for a verdict or refusal code, or undefined for a code that has none. */
export function verdictWords(code: string): string | undefined {
  return Object.hasOwn(WORDS, code) ? WORDS[code] : undefined;
}

/** A sentence for a verdict or refusal code (the code itself when it is new). */
export function explainVerdict(code: string): string {
  return verdictWords(code) ?? code;
}
