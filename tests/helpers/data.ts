// The shared, read-only data sets beside the checkout (../shared/data; see its README).
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '../..');

/** `../shared/data` relative to the repository root. */
export const SHARED_DATA = path.resolve(REPO, '../shared/data');
/** Omniglot background set, PNGs in the original layout. */
export const OMNIGLOT_ZIP = path.join(SHARED_DATA, 'omniglot-background/images_background.zip');
/** Omniglot's original "minimal" split 1 (5 alphabets). */
export const OMNIGLOT_SMALL_ZIP = path.join(SHARED_DATA, 'omniglot-background/images_background_small1.zip');
/** ORL faces: att_faces/s1..s40/1..10.pgm. */
export const ORL_ZIP = path.join(SHARED_DATA, 'orl-faces/att_faces.zip');
