/**
 * Lake et al. (2015) 20-way one-shot classification in its published layout:
 *   <folder>/run01 … run20/{training/class01.png … class20.png, test/item01.png … item20.png, class_labels.txt}
 * with `class_labels.txt` lines "runXX/test/itemYY.png runXX/training/classZZ.png" (the answer).
 * Each test item is answered with the training image nearest in embedding space (Euclidean).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '@/lib/errors';
import { euclideanDistance } from '@/lib/index/exact';

/** One run: its training images (the N classes) and its test items with their answers. */
export interface OneShotRun {
  /** Run folder name, e.g. "run01". */
  name: string;
  /** Training image paths relative to the protocol folder, e.g. "run01/training/class01.png". */
  training: string[];
  /** Test items: the image path and the training image path that is the right answer. */
  trials: { test: string; answer: string }[];
}

/** Result of `evaluateOneShot`. */
export interface OneShotResult {
  /** Number of test items answered. */
  trials: number;
  /** Share answered with the right training image. */
  accuracy: number;
  /** Accuracy per run, in run order. */
  perRun: { run: string; accuracy: number }[];
}

/** Reads and checks the runs in `folder` (every `runNN` sub-folder, in order). */
export async function readOneShotRuns(folder: string): Promise<OneShotRun[]> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => {
    throw new InputError('invalid_dataset', `expected a one-shot protocol folder with run01 … run20 at ${folder}, found nothing`);
  });
  const names = entries.filter((e) => e.isDirectory() && /^run\d+$/.test(e.name)).map((e) => e.name).sort();
  if (names.length === 0) throw new InputError('invalid_dataset', `expected run01 … run20 folders in ${folder}, found none`);
  const runs: OneShotRun[] = [];
  for (const name of names) {
    const training = (await readdir(path.join(folder, name, 'training'))).filter((f) => !f.startsWith('.')).sort().map((f) => `${name}/training/${f}`);
    const labels = await readFile(path.join(folder, name, 'class_labels.txt'), 'utf8').catch(() => {
      throw new InputError('invalid_dataset', `expected ${name}/class_labels.txt in ${folder}`);
    });
    const trials = labels
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .map((line, i) => {
        const parts = line.split(/\s+/);
        if (parts.length !== 2 || !parts[0].startsWith(`${name}/test/`) || !training.includes(parts[1])) {
          throw new InputError('invalid_dataset', `${name}/class_labels.txt line ${i + 1}: expected "${name}/test/itemYY.png ${name}/training/classZZ.png" naming an existing training image, got "${line}"`);
        }
        return { test: parts[0], answer: parts[1] };
      });
    if (trials.length === 0) throw new InputError('invalid_dataset', `${name}/class_labels.txt lists no test items`);
    runs.push({ name, training, trials });
  }
  return runs;
}

/**
 * Scores the runs: `embedFiles` maps protocol-relative paths to embeddings (one per path, in order);
 * a trial is correct when the nearest training embedding is the answer's (ties go to the first).
 */
export async function evaluateOneShot(runs: readonly OneShotRun[], embedFiles: (paths: string[]) => Promise<Float32Array[]>): Promise<OneShotResult> {
  let correct = 0;
  let total = 0;
  const perRun: OneShotResult['perRun'] = [];
  for (const run of runs) {
    const train = await embedFiles(run.training);
    const tests = await embedFiles(run.trials.map((t) => t.test));
    let ok = 0;
    run.trials.forEach((trial, i) => {
      let best = -1;
      let bestDistance = Number.POSITIVE_INFINITY;
      train.forEach((e, j) => {
        const d = euclideanDistance('l2', tests[i], e);
        if (d < bestDistance) {
          bestDistance = d;
          best = j;
        }
      });
      if (run.training[best] === trial.answer) ok++;
    });
    correct += ok;
    total += run.trials.length;
    perRun.push({ run: run.name, accuracy: ok / run.trials.length });
  }
  return { trials: total, accuracy: total === 0 ? 0 : correct / total, perRun };
}
