/**
 * Omniglot background set (Lake et al. 2015) from `images_background.zip`, layout
 * `images_background/<Alphabet>/characterNN/IIII_DD.png` (DD = drawer 01-20), split by alphabet.
 */
import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import { InputError } from '@/lib/errors';
import { decodeImage, preprocessImage, type PreprocessSpec } from '@/lib/imaging';
import { datasetCacheKey, readDatasetCache, writeDatasetCache } from './cache';
import { mapLimit } from './map-limit';
import type { Dataset, IdentityImages } from './types';

/** The 30 background alphabets with their character counts (from `alphabets.csv`). */
export const OMNIGLOT_ALPHABETS: Readonly<Record<string, number>> = Object.freeze({
  Alphabet_of_the_Magi: 20, 'Anglo-Saxon_Futhorc': 29, Arcadian: 26, Armenian: 41,
  'Asomtavruli_(Georgian)': 40, Balinese: 24, Bengali: 46, 'Blackfoot_(Canadian_Aboriginal_Syllabics)': 14,
  Braille: 26, 'Burmese_(Myanmar)': 34, Cyrillic: 33, Early_Aramaic: 22, Futurama: 26, Grantha: 43,
  Greek: 24, Gujarati: 48, Hebrew: 22, 'Inuktitut_(Canadian_Aboriginal_Syllabics)': 16,
  'Japanese_(hiragana)': 52, 'Japanese_(katakana)': 47, Korean: 40, Latin: 26, 'Malay_(Jawi_-_Arabic)': 40,
  'Mkhedruli_(Georgian)': 41, N_Ko: 33, 'Ojibwe_(Canadian_Aboriginal_Syllabics)': 14, Sanskrit: 42,
  'Syriac_(Estrangelo)': 23, Tagalog: 17, Tifinagh: 55,
});

/**
 * Held-out alphabets: never trained on; used for calibration, one-shot runs and identify.
 * Six scripts of different families, each with >= 20 characters and no sibling script among the
 * training alphabets: Korean (featural, East Asian), Bengali (Brahmic abugida), Hebrew (Semitic abjad),
 * N_Ko (West African, right-to-left), Greek (European alphabet), Futurama (invented glyphs).
 * 191 characters x 20 drawers = 3,820 images; the other 24 alphabets (773 characters) train.
 */
const HELD_OUT = ['Bengali', 'Futurama', 'Greek', 'Hebrew', 'Korean', 'N_Ko'] as const;

/** Train / held-out split of the 30 background alphabets (listed in every model manifest). */
export const OMNIGLOT_SPLIT: { readonly train: readonly string[]; readonly heldOut: readonly string[] } = Object.freeze({
  train: Object.freeze(Object.keys(OMNIGLOT_ALPHABETS).filter((a) => !(HELD_OUT as readonly string[]).includes(a)).sort()),
  heldOut: Object.freeze([...HELD_OUT]),
});

/** Default location of the background zip, relative to the repository root. */
export const OMNIGLOT_ZIP_PATH = '../shared/data/omniglot-background/images_background.zip';

/** One PNG of the zip: which alphabet, character folder and drawer (1-20) it holds. */
export interface OmniglotEntry {
  /** Alphabet folder name. */
  alphabet: string;
  /** Character folder name, e.g. "character07". */
  character: string;
  /** Drawer number 1-20 (the DD of `IIII_DD.png`). */
  drawer: number;
  /** Path inside the zip. */
  path: string;
  /** PNG bytes. */
  bytes: Uint8Array;
}

const ENTRY_RE = /^images_background\/([^/]+)\/(character\d+)\/\d+_(\d+)\.png$/;

function checkAlphabets(alphabets: readonly string[]): void {
  const unknown = alphabets.filter((a) => !(a in OMNIGLOT_ALPHABETS));
  if (unknown.length > 0) {
    throw new InputError(
      'invalid_config',
      `unknown Omniglot alphabet(s) ${unknown.join(', ')}; expected names from ${Object.keys(OMNIGLOT_ALPHABETS).join(', ')}`,
    );
  }
}

/** Reads the raw PNG entries of the given alphabets (all 30 by default), sorted by alphabet, character, drawer. */
export function readOmniglotEntries(zipBytes: Uint8Array, alphabets?: readonly string[]): OmniglotEntry[] {
  const wanted = new Set(alphabets ?? Object.keys(OMNIGLOT_ALPHABETS));
  checkAlphabets([...wanted]);
  const files = unzipSync(zipBytes, {
    filter: (file) => {
      const m = ENTRY_RE.exec(file.name);
      return m !== null && wanted.has(m[1]);
    },
  });
  const entries: OmniglotEntry[] = [];
  for (const [name, bytes] of Object.entries(files)) {
    const m = ENTRY_RE.exec(name)!;
    entries.push({ alphabet: m[1], character: m[2], drawer: Number(m[3]), path: name, bytes });
  }
  if (entries.length === 0) {
    throw new InputError('invalid_dataset', `no Omniglot PNGs found under images_background/ for ${[...wanted].join(', ')}`);
  }
  entries.sort((a, b) =>
    a.alphabet < b.alphabet ? -1 : a.alphabet > b.alphabet ? 1
      : a.character < b.character ? -1 : a.character > b.character ? 1 : a.drawer - b.drawer,
  );
  return entries;
}

/** Options of `loadOmniglot`. */
export interface LoadOmniglotOptions {
  /** Path of `images_background.zip`. */
  zipPath: string;
  /** How to preprocess each 105x105 image. */
  spec: PreprocessSpec;
  /** Alphabets to load (default: all 30). */
  alphabets?: readonly string[];
  /** Keep only the first N characters (after sorting) — for fast tests. */
  maxIdentities?: number;
  /** Folder for the preprocessed-array cache (e.g. `runs/cache`); no cache when absent. */
  cacheDir?: string;
}

/**
 * Loads Omniglot characters as identities ("<Alphabet>/characterNN", group = alphabet); each
 * identity's images are ordered by drawer, so `images[d]` is drawer d+1.
 */
export async function loadOmniglot(opts: LoadOmniglotOptions): Promise<Dataset> {
  const zipBytes = new Uint8Array(await readFile(opts.zipPath));
  const alphabets = [...(opts.alphabets ?? Object.keys(OMNIGLOT_ALPHABETS))].sort();
  checkAlphabets(alphabets);
  const key = datasetCacheKey([zipBytes, JSON.stringify(opts.spec), JSON.stringify({ alphabets, max: opts.maxIdentities ?? null })]);
  if (opts.cacheDir) {
    const cached = await readDatasetCache(opts.cacheDir, key);
    if (cached) return cached;
  }
  let entries = readOmniglotEntries(zipBytes, alphabets);
  const byIdentity = new Map<string, OmniglotEntry[]>();
  for (const e of entries) {
    const id = `${e.alphabet}/${e.character}`;
    if (!byIdentity.has(id)) byIdentity.set(id, []);
    byIdentity.get(id)!.push(e);
  }
  let ids = [...byIdentity.keys()];
  if (opts.maxIdentities !== undefined) ids = ids.slice(0, opts.maxIdentities);
  entries = ids.flatMap((id) => byIdentity.get(id)!);
  const pixels = await mapLimit(entries, 16, async (e) => {
    const img = await decodeImage(e.bytes);
    return preprocessImage(img, opts.spec);
  });
  const identities: IdentityImages[] = [];
  let k = 0;
  for (const id of ids) {
    const group = byIdentity.get(id)!;
    identities.push({ identity: id, group: group[0].alphabet, images: pixels.slice(k, k + group.length) });
    k += group.length;
  }
  const dataset: Dataset = { name: 'omniglot-background', spec: opts.spec, identities };
  if (opts.cacheDir) await writeDatasetCache(opts.cacheDir, key, dataset);
  return dataset;
}
