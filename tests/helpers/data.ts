// The shared, read-only data sets beside the checkout (../shared/data; see its README). Every file the
// tests, the quick benchmark and training read from there is listed in TEST_DATA; `npm test` checks
// them first (tests/helpers/check-data.ts) and stops with one message when any is missing.
import { existsSync } from 'node:fs';
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

/** The dev face set CFP, one folder per identity (the scene tests paste its crops). */
export const CFP_FACES = path.join(SHARED_DATA, 'cfp-faces/images');

/** One tight CFP face crop (182x163 JPEG) the tiny face detector finds no face in (unpadded). */
export const CFP_TIGHT_CROP = path.join(CFP_FACES, 'Aaron_Rodgers/frontal_04.jpg');

/** grocery-store photos, one folder per product (the quick benchmark's photo row reads its first folders). */
export const GROCERY_STORE = path.join(SHARED_DATA, 'grocery-store/images');

/** A data file the tests read, and where it comes from. */
export interface TestDataFile {
  path: string;
  source: string;
}

/** Every shared data file the test suites read. */
export const TEST_DATA: readonly TestDataFile[] = [
  {
    path: OMNIGLOT_ZIP,
    source: 'Omniglot background set (Lake et al. 2015, MIT): images_background.zip from https://github.com/brendenlake/omniglot (python/), 964 characters x 20 drawings, 105x105 PNG',
  },
  {
    path: OMNIGLOT_SMALL_ZIP,
    source: 'Omniglot "minimal" split 1: images_background_small1.zip from https://github.com/brendenlake/omniglot (python/)',
  },
  {
    path: ORL_ZIP,
    source: 'AT&T/ORL Database of Faces (credit Olivetti Research Laboratory): att_faces.zip, 40 people x 10 PGM (92x112), att_faces/s1..s40/1..10.pgm',
  },
  {
    path: CFP_FACES,
    source: 'the dev face set cfp-faces (CFP, Sengupta et al. 2016; see its README): images/, 360 identities x 7 face crops',
  },
  {
    path: CFP_TIGHT_CROP,
    source: 'the dev face set cfp-faces (CFP, Sengupta et al. 2016; see its README): images/Aaron_Rodgers/frontal_04.jpg',
  },
  {
    path: GROCERY_STORE,
    source: 'the photo set grocery-store (Klasson et al. 2019, MIT; see its README): images/, 81 products x 16 photos',
  },
];

/** The files of TEST_DATA that are missing. */
export function missingTestData(files: readonly TestDataFile[] = TEST_DATA): TestDataFile[] {
  return files.filter((f) => !existsSync(f.path));
}

/** One message naming each missing file and how to get it (empty when nothing is missing). */
export function missingDataMessage(missing: readonly TestDataFile[]): string {
  if (missing.length === 0) return '';
  return [
    `The tests read data sets from ${SHARED_DATA} (the checkout's ../shared/data, read-only, never copied into the repository); missing:`,
    ...missing.map((f) => `  ${f.path}\n    ${f.source}`),
    'Put these files at these paths (see README.md, "Test and training data"), then run npm test again.',
  ].join('\n');
}
