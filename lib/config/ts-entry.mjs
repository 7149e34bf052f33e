// Runs an entry point of entry-points.json from its TypeScript source through tsx's loader, in a
// child process (`node ts-entry.mjs <source.ts> ...args`) or a worker thread (argv [<source.ts>, ...]).
// Development and tests only (entry-points.ts): production runs the bundles of dist/. The source is
// taken off process.argv first, so the entry reads its arguments as its bundle would.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const [source] = process.argv.splice(2, 1);
register({ tsconfig: path.resolve(import.meta.dirname, '..', '..', 'tsconfig.json') });
await import(pathToFileURL(source).href);
