/**
 * The code production runs outside Next's server bundle: the server's start script, the embedding
 * worker thread and the retraining child process (entry-points.json: name -> TypeScript source).
 * `npm run build` (scripts/build.mjs) bundles each with esbuild into dist/<name>.mjs, plain
 * JavaScript for Node. `npm start` runs dist/start.mjs, which records its folder here
 * (`preferBundlesIn`); the worker and the job children then start the bundles beside it. With no
 * record (vitest, `next dev`, a script run with tsx) they run the TypeScript sources through tsx's
 * loader (ts-entry.mjs; tsx is a devDependency, so that path is for development and tests only).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import ENTRIES from './entry-points.json';

/** An entry point's name: its bundle is dist/<name>.mjs. */
export type EntryName = keyof typeof ENTRIES;

/** How Node starts an entry point: the script to run and the arguments before the entry's own. */
export interface EntryLaunch {
  /** The bundle, or ts-entry.mjs when running from source. */
  script: string;
  /** Empty for a bundle; the TypeScript source for ts-entry.mjs (which takes it off `process.argv`). */
  argv: string[];
}

// One key for every module graph of the process: the start bundle records, Next's instrumentation
// and route graphs read (as lib/matching/process-key.ts does for the process state).
const BUNDLE_DIR_KEY = Symbol.for('fewshot.bundleDir');
type BundleHolder = { [BUNDLE_DIR_KEY]?: string };

/**
 * The start script passes its own folder: when every entry point's bundle sits there (it is the
 * start bundle in dist/), this process starts bundles from then on. False from source (scripts/).
 */
export function preferBundlesIn(dir: string): boolean {
  const bundled = Object.keys(ENTRIES).every((name) => existsSync(path.join(dir, `${name}.mjs`)));
  if (bundled) (globalThis as BundleHolder)[BUNDLE_DIR_KEY] = dir;
  return bundled;
}

/** How to start entry point `name` in this process: its bundle when the start bundle recorded one, else its source. */
export function entryLaunch(name: Exclude<EntryName, 'start'>): EntryLaunch {
  const dir = (globalThis as BundleHolder)[BUNDLE_DIR_KEY];
  if (dir) return { script: path.join(dir, `${name}.mjs`), argv: [] };
  // From source the repository is the working directory (vitest, `next dev`). Turbopack traces paths
  // built from process.cwd(): a fixed one is one file, but one joined with a looked-up source warns
  // "tracing of the whole project" at `next build` (measured), hence the ignore on that join only.
  const root = process.cwd();
  const script = path.join(root, 'lib', 'config', 'ts-entry.mjs');
  return { script, argv: [path.join(/*turbopackIgnore: true*/ root, ENTRIES[name])] };
}
