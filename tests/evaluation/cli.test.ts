import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModelDir, loadPipeline } from '@/lib/evaluation/pipeline';
import { writeResult } from '@/lib/evaluation/run';
import { parseEvaluateArgs } from '../../scripts/cli/evaluate-args';
import { runScript } from '../helpers/scripts';

let dir: string;

/** Runs `scripts/evaluate.ts`. */
const evaluate = (...args: string[]) => runScript('evaluate.ts', args);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'evaluate-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('scripts/evaluate.ts', () => {
  it('make-oneshot: exit 0, logs on stderr, the last stdout line is one JSON object', async () => {
    const out = path.join(dir, 'runs');
    const r = await evaluate('make-oneshot', out, '--runs=1', '--seed', '4');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('evaluate make-oneshot');
    const lines = r.stdout.trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1])).toMatchObject({ task: 'make-oneshot', runs: 1, seed: 4 });
    expect((await readdir(out)).sort()).toEqual(['protocol.json', 'run01']);
  });

  it('exits 1 with the code and reason when it cannot run', async () => {
    const r = await evaluate('identify', '.', '--shots', 'many');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('evaluate: invalid_args: identify: --shots: Invalid input: expected number, received string (got "many")\n');
  });
});

describe('parseEvaluateArgs', () => {
  it.each([
    { name: 'defaults', input: ['identify', 'data/x', '--shots', '5'], expected: { command: 'identify', config: { folder: 'data/x', shots: 5, kind: 'object', seed: 0, repeats: 5, compare: false } } },
    { name: '--compare (no value)', input: ['identify', 'f', '--compare', '--shots', '1'], expected: { command: 'identify', config: { folder: 'f', shots: 1, kind: 'object', seed: 0, repeats: 5, compare: true } } },
    { name: '--key=value', input: ['oneshot', 'runs', '--model=models/object/v1'], expected: { command: 'oneshot', config: { folder: 'runs', model: 'models/object/v1', kind: 'object' } } },
    { name: 'openset defaults', input: ['openset', 'd', '--kind', 'face'], expected: { command: 'openset', config: { folder: 'd', kind: 'face', seed: 0, repeats: 5, sizes: [5, 20, 100, 'all'], shots: [1, 3, 5], fars: [1e-2, 1e-3], policies: ['model-curve-identities'], measured: false } } },
    { name: 'openset lists', input: ['openset', 'd', '--sizes', '5,all', '--shots=1,3', '--fars', '1e-2', '--policies', 'a,b', '--measured'], expected: { command: 'openset', config: { folder: 'd', kind: 'object', seed: 0, repeats: 5, sizes: [5, 'all'], shots: [1, 3], fars: [0.01], policies: ['a', 'b'], measured: true } } },
    { name: 'verify', input: ['verify', 'cfp', '--align', 'dlib', '--no-flip', '--files', 'frontal'], expected: { command: 'verify', config: { folder: 'cfp', kind: 'face', align: 'dlib', flip: false, files: 'frontal', seed: 0, impostorPairs: 200000, repeats: 5 } } },
    { name: 'make-oneshot', input: ['make-oneshot', 'o', '--runs=3'], expected: { command: 'make-oneshot', config: { out: 'o', zip: '../shared/data/omniglot-background/images_background.zip', seed: 0, runs: 3 } } },
  ])('parses $name', ({ input, expected }) => {
    expect(parseEvaluateArgs(input)).toEqual(expected);
  });

  it('lets command-line values override --config', async () => {
    const file = path.join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ shots: 2, repeats: 9 }));
    expect(parseEvaluateArgs(['identify', 'f', '--config', file, '--shots', '3']).config).toMatchObject({ shots: 3, repeats: 9 });
  });

  it.each([
    { name: 'unknown flag', input: ['oneshot', '.', '--shotz', '1'], error: /^oneshot: unknown option --shotz; known: --model, --kind, --config$/ },
    { name: 'missing --shots', input: ['identify', '.'], error: /^identify: --shots is required \(number\)$/ },
    { name: 'missing positional', input: ['identify', '--shots', '1'], error: /^identify: <folder> is required \(string\)$/ },
    { name: 'bad kind', input: ['identify', '.', '--shots', '1', '--kind', 'car'], error: /^identify: --kind: Invalid option: expected one of "object"\|"face" \(got "car"\)$/ },
    { name: 'flag without value', input: ['identify', '.', '--shots'], error: /^identify: --shots needs a value$/ },
    { name: 'a value after a boolean', input: ['identify', '.', '--compare', 'yes', '--shots', '1'], error: /^identify: unexpected argument yes; expected <folder>$/ },
    { name: 'two positionals', input: ['oneshot', 'a', 'b'], error: /^oneshot: unexpected argument b; expected <folder>$/ },
    { name: 'a FAR outside (0, 1)', input: ['openset', '.', '--fars', '0.01,1'], error: /^openset: --fars\[1\]: Too big: expected number to be <1/ },
    { name: 'a size that is neither a count nor all', input: ['openset', '.', '--sizes', '5,most'], error: /^openset: --sizes\[1\]/ },
    { name: 'unknown command', input: ['bogus'], error: /expected a command \(oneshot, make-oneshot, identify, make-identify, make-heldout, openset, compare-openset, verify, make-cohort, make-openset-table, detect\), got bogus/ },
    { name: 'make-cohort without a source', input: ['make-cohort', '--kind', 'face'], error: /^make-cohort: <source> is required \(string\)$/ },
    { name: 'detect --scenes without backgrounds', input: ['detect', 'cfp', '--scenes', '2'], error: /^detect: --scenes needs --backgrounds <folder of background photos>$/ },
  ])('refuses $name', ({ input, error }) => {
    expect(() => parseEvaluateArgs(input)).toThrow(error);
  });

  it('reads make-openset-table with its defaults, and the bound forced', () => {
    expect(parseEvaluateArgs(['make-openset-table', 'cfp', '--kind', 'face'])).toEqual({ command: 'make-openset-table', config: { source: 'cfp', kind: 'face', repeats: 30, seed: 0, aggregate: 'centroid', bound: 'auto' } });
    expect(parseEvaluateArgs(['make-openset-table', 'cfp', '--bound', 'always']).config).toMatchObject({ bound: 'always' });
    expect(() => parseEvaluateArgs(['make-openset-table', 'cfp', '--bound', 'never'])).toThrow(/bound/);
  });

  it('reads make-cohort with its defaults', () => {
    expect(parseEvaluateArgs(['make-cohort', 'cfp', '--kind', 'face', '--perIdentity', '2'])).toEqual({ command: 'make-cohort', config: { source: 'cfp', kind: 'face', perIdentity: 2 } });
    expect(parseEvaluateArgs(['make-cohort', 'omniglot.zip']).config).toEqual({ source: 'omniglot.zip', kind: 'object', perIdentity: 4 });
  });
});

describe('writeResult', () => {
  it('writes the JSON object under the results folder, creating it', async () => {
    const file = await writeResult(path.join(dir, 'bench', 'results'), 'oneshot-v1', { task: 'oneshot', accuracy: 0.9 });
    expect(file).toBe(path.join(dir, 'bench', 'results', 'oneshot-v1.json'));
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ task: 'oneshot', accuracy: 0.9 });
  });
});

describe('defaultModelDir', () => {
  it('reads models/defaults.json and says so when a kind has no model', async () => {
    const models = path.join(dir, 'models');
    await mkdir(models, { recursive: true });
    await writeFile(path.join(models, 'defaults.json'), JSON.stringify({ object: 'omniglot-v1', face: null }));
    expect(await defaultModelDir('object', models)).toBe(path.join(models, 'object', 'omniglot-v1'));
    await expect(defaultModelDir('face', models)).rejects.toMatchObject({ code: 'model_not_trained' });
    await expect(defaultModelDir('object', path.join(dir, 'none'))).rejects.toThrow(/cannot read the default models/);
  });
});

describe('loadPipeline', () => {
  it('refuses the face kind until the faces issue plugs it in', async () => {
    await expect(loadPipeline('face', 'models/face/x')).rejects.toMatchObject({ code: 'model_not_trained' });
  });
});
