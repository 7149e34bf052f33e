/**
 * Writes evaluation folders from the held-out Omniglot background alphabets:
 * - `makeOneShotRuns`: Lake's 20-way within-alphabet one-shot layout (see `./oneshot`);
 * - `makeIdentifyFolder`: one folder per character (`<Alphabet>/characterNN/`) for `identify`;
 * - `makeHeldOutFolder`: the identities a model never saw, from the folder it trained on.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '@/lib/errors';
import { OMNIGLOT_SPLIT, readOmniglotEntries, type OmniglotEntry } from '@/lib/datasets/omniglot';
import { listFolderImages } from '@/lib/datasets/folder';
import { mapLimit } from '@/lib/datasets/map-limit';
import { decodeImage, encodePng } from '@/lib/imaging';
import { createUniform, shuffled } from './random';

/** Options of `makeOneShotRuns`. */
export interface MakeOneShotOptions {
  /** Path of `images_background.zip`. */
  zipPath: string;
  /** Alphabets to draw runs from (default: the held-out split). */
  alphabets?: readonly string[];
  /** Number of runs (default 20, as published). */
  runs?: number;
  /** Characters per run (default 20). */
  ways?: number;
  /** Seed of the draw (default 0). */
  seed?: number;
}

/** What a written run holds: its alphabet, the two drawers and the characters (class order). */
export interface RunProvenance {
  run: string;
  alphabet: string;
  trainDrawer: number;
  testDrawer: number;
  characters: string[];
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function byCharacter(entries: readonly OmniglotEntry[]): Map<string, Map<string, OmniglotEntry[]>> {
  const out = new Map<string, Map<string, OmniglotEntry[]>>();
  for (const e of entries) {
    if (!out.has(e.alphabet)) out.set(e.alphabet, new Map());
    const chars = out.get(e.alphabet)!;
    if (!chars.has(e.character)) chars.set(e.character, []);
    chars.get(e.character)!.push(e);
  }
  return out;
}

/** Re-encodes one original 105x105 PNG with sharp (via `@/lib/imaging`). */
async function reencode(entry: OmniglotEntry): Promise<Uint8Array> {
  return new Uint8Array(await encodePng(await decodeImage(entry.bytes)));
}

/**
 * Writes `runs` runs into `out`. Run r uses alphabet r mod A of a seeded permutation of the
 * alphabets (so all are used evenly), `ways` seeded characters of it, one seeded drawer for all
 * training images and a different one for all test items (Lake et al. 2015: within-alphabet,
 * two drawers per run); test items are in seeded order. Existing run folders are replaced.
 */
export async function makeOneShotRuns(out: string, opts: MakeOneShotOptions): Promise<RunProvenance[]> {
  const alphabets = [...(opts.alphabets ?? OMNIGLOT_SPLIT.heldOut)];
  const runs = opts.runs ?? 20;
  const ways = opts.ways ?? 20;
  const seed = opts.seed ?? 0;
  const chars = byCharacter(readOmniglotEntries(new Uint8Array(readFileSync(opts.zipPath)), alphabets));
  for (const a of alphabets) {
    const n = chars.get(a)?.size ?? 0;
    if (n < ways) throw new InputError('invalid_config', `alphabet ${a} has ${n} characters, a ${ways}-way run needs ${ways}`);
  }
  const rng = createUniform(seed);
  const order = shuffled(alphabets, rng);
  const provenance: RunProvenance[] = [];
  for (let r = 0; r < runs; r++) {
    const run = `run${pad2(r + 1)}`;
    const alphabet = order[r % order.length];
    const characters = shuffled([...chars.get(alphabet)!.keys()], rng).slice(0, ways);
    const [trainDrawer, testDrawer] = shuffled(Array.from({ length: 20 }, (_, i) => i + 1), rng);
    const testOrder = shuffled(characters.map((_, i) => i), rng);
    const dir = path.join(out, run);
    await rm(dir, { recursive: true, force: true });
    await mkdir(path.join(dir, 'training'), { recursive: true });
    await mkdir(path.join(dir, 'test'), { recursive: true });
    const drawing = (c: string, d: number) => chars.get(alphabet)!.get(c)!.find((e) => e.drawer === d)!;
    const lines: string[] = [];
    await mapLimit(characters, 4, async (c, i) => {
      await writeFile(path.join(dir, 'training', `class${pad2(i + 1)}.png`), await reencode(drawing(c, trainDrawer)));
    });
    await mapLimit(testOrder, 4, async (ci, k) => {
      await writeFile(path.join(dir, 'test', `item${pad2(k + 1)}.png`), await reencode(drawing(characters[ci], testDrawer)));
    });
    testOrder.forEach((ci, k) => lines.push(`${run}/test/item${pad2(k + 1)}.png ${run}/training/class${pad2(ci + 1)}.png`));
    await writeFile(path.join(dir, 'class_labels.txt'), `${lines.join('\n')}\n`);
    provenance.push({ run, alphabet, trainDrawer, testDrawer, characters });
  }
  await writeFile(path.join(out, 'protocol.json'), `${JSON.stringify({ source: path.basename(opts.zipPath), seed, ways, runs: provenance }, null, 2)}\n`);
  return provenance;
}

/**
 * Writes the alphabets (default: the held-out split) folder-per-identity into `out`:
 * `<out>/<Alphabet>/characterNN/IIII_DD.png`, the original PNG bytes from the zip, so that
 * identity = "<Alphabet>/characterNN" as in `loadOmniglot`. Returns the number of images.
 */
export async function makeIdentifyFolder(out: string, opts: { zipPath: string; alphabets?: readonly string[] }): Promise<{ identities: number; images: number }> {
  const entries = readOmniglotEntries(new Uint8Array(readFileSync(opts.zipPath)), opts.alphabets ?? OMNIGLOT_SPLIT.heldOut);
  const identities = new Set<string>();
  for (const e of entries) {
    const dir = path.join(out, e.alphabet, e.character);
    if (!identities.has(`${e.alphabet}/${e.character}`)) {
      identities.add(`${e.alphabet}/${e.character}`);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
    }
    await writeFile(path.join(dir, path.posix.basename(e.path)), e.bytes);
  }
  return { identities: identities.size, images: entries.length };
}

/**
 * Writes the images of the identities of the folder-per-identity `source` that a model never saw
 * (neither in `seen`, its manifest's `data.train` and `data.heldOut`) into `out` (original bytes,
 * one folder per identity): e.g. the products a photo model's split left for evaluation, the set
 * `evaluate identify|openset` measure it on.
 */
export async function makeHeldOutFolder(out: string, opts: { source: string; seen: readonly string[] }): Promise<{ identities: number; images: number }> {
  const seen = new Set(opts.seen);
  const all = await listFolderImages(opts.source);
  const files = all.filter((f) => !seen.has(f.identity));
  const found = new Set(files.map((f) => f.identity));
  const matched = new Set(all.map((f) => f.identity).filter((i) => seen.has(i)));
  if (matched.size === 0 || found.size < 2) throw new InputError('invalid_dataset', `${opts.source}: ${matched.size} identities the model saw, ${found.size} it did not; expected the folder the model was trained from, with 2+ identities left for evaluation`);
  await rm(out, { recursive: true, force: true });
  for (const f of files) {
    const dir = path.join(out, f.identity);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, path.basename(f.source)), f.bytes);
  }
  return { identities: found.size, images: files.length };
}
