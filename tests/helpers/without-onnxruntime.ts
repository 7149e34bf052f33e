// Runs a script in a child Node process where `onnxruntime-node` does not resolve, as after an
// install without it: the tests that inference falls back to TF.js with one log line.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/** The repository root (scripts import `lib/` by absolute path from it). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/** Writes `lines` as an ES module in `dir` and runs it with tsx, `onnxruntime-node` hidden; resolves with its output. */
export async function runWithoutOnnxRuntime(dir: string, lines: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  // A preload that makes Node's own resolver fail for the package.
  const hide = path.join(dir, 'hide-onnxruntime.cjs');
  await writeFile(hide, [
    "const Module = require('node:module');",
    'const resolve = Module._resolveFilename;',
    "Module._resolveFilename = function (request, ...rest) {",
    "  if (request === 'onnxruntime-node') throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });",
    '  return resolve.call(this, request, ...rest);',
    '};',
  ].join('\n'));
  const script = path.join(dir, 'without-onnxruntime.mts');
  await writeFile(script, lines.join('\n'));
  return promisify(execFile)(process.execPath, ['--require', hide, '--import', 'tsx', script], { cwd: REPO_ROOT, timeout: 60_000 });
}
