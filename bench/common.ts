/**
 * Shared parts of the benchmarks (`npm run bench`): the result record every JSON file carries
 * (commit, date, machine, versions, backend, quick), percentiles, timing and table printing.
 * Benchmarks are measurements, never tests: they print numbers and write JSON under bench/results/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Repository root. */
export const ROOT = path.resolve(import.meta.dirname, '..');
/** Where full runs write (committed) and quick runs write (gitignored). */
export const RESULTS_DIR = path.join(ROOT, 'bench/results');
export const QUICK_DIR = path.join(RESULTS_DIR, 'quick');
/** Machine fp32 peak on both cores (AVX-512 Zen 5, see the developers' guide), for ratios. */
export const PEAK_GFLOPS = 130;

/** The machine's load averages when this process started, before the benchmark added its own. */
const START_LOAD = os.loadavg();

/** What every result file starts with. */
export interface RunInfo {
  benchmark: string;
  quick: boolean;
  commit: string;
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string };
  /** 1, 5 and 15 minute load averages when the run started (other work on the machine skews timings). */
  loadAverage?: number[];
  versions: Record<string, string>;
}

const pkgVersion = (name: string): string => {
  try {
    return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'absent';
  }
};

/** The header of a result file. */
export function runInfo(benchmark: string, quick: boolean): RunInfo {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return {
    benchmark,
    quick,
    commit,
    date: new Date().toISOString(),
    loadAverage: START_LOAD.map((x) => Math.round(x * 100) / 100),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    versions: Object.fromEntries(['@tensorflow/tfjs', '@tensorflow/tfjs-node', 'onnxruntime-node', 'hnswlib-node', 'next', 'sharp', '@prisma/client'].map((n) => [n, pkgVersion(n)])),
  };
}

/** Writes `<name>.json` (full runs under bench/results, quick runs under bench/results/quick). */
export function writeResult(name: string, quick: boolean, data: object): string {
  const dir = quick ? QUICK_DIR : RESULTS_DIR;
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/** The p-th percentile (0..100) of values (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Milliseconds since `start` (from performance.now()). */
export const msSince = (start: number): number => performance.now() - start;

/** Prints a table of rows (objects with the same keys) to stderr. */
export function printTable(title: string, rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]);
  const cell = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v);
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => cell(r[k]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ');
  process.stderr.write(`\n${title}\n${line(keys)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map((r) => line(keys.map((k) => cell(r[k])))).join('\n')}\n`);
}

/** Progress and notes go to stderr. */
export const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

/** Resident set size in MiB. */
export const rssMiB = (): number => process.memoryUsage().rss / 2 ** 20;
