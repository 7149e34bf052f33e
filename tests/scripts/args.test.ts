import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { trainConfigSchema } from '@/lib/training/config';
import { overridesOf, parseCli } from '../../scripts/cli/args';
import { runScript } from '../helpers/scripts';

/** A script's command line with one field of each kind the parser reads. */
const schema = z.strictObject({
  input: z.string().min(1),
  output: z.string().optional(),
  runs: z.number().int().min(1).default(3),
  rate: z.number().gt(0).optional(),
  mode: z.enum(['fast', 'slow']).default('fast'),
  verbose: z.boolean().default(false),
  shuffle: z.boolean().default(true),
  sizes: z.array(z.number().int()).default([1]),
  tags: z.array(z.string()).default([]),
  extra: z.record(z.string(), z.unknown()).default({}),
  'api-key': z.string().optional(),
});
const spec = { schema, positionals: ['input', 'output'] as const, configFile: true, usage: 'usage: probe <input> [output]' };
/** What `parseCli` throws: an `InputError('invalid_args')` with this message and the usage line. */
const refusal = (message: string) => expect.objectContaining({ code: 'invalid_args', message: `${message}\nusage: probe <input> [output]` });
const DEFAULTS = { runs: 3, mode: 'fast', verbose: false, shuffle: true, sizes: [1], tags: [], extra: {} };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cli-args-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseCli', () => {
  it.each([
    { name: 'defaults', input: ['in'], expected: { input: 'in', ...DEFAULTS } },
    { name: '--key value and --key=value', input: ['in', '--runs', '7', '--rate=0.5', '--mode', 'slow'], expected: { input: 'in', ...DEFAULTS, runs: 7, rate: 0.5, mode: 'slow' } },
    { name: 'a value holding =', input: ['in', '--api-key=a=b'], expected: { input: 'in', ...DEFAULTS, 'api-key': 'a=b' } },
    { name: 'booleans take no value', input: ['--verbose', 'in', '--no-shuffle'], expected: { input: 'in', ...DEFAULTS, verbose: true, shuffle: false } },
    { name: 'booleans spelt =true/=false', input: ['in', '--verbose=true', '--shuffle=false'], expected: { input: 'in', ...DEFAULTS, verbose: true, shuffle: false } },
    { name: 'positionals in order', input: ['in', 'out'], expected: { input: 'in', output: 'out', ...DEFAULTS } },
    { name: 'lists: commas or JSON', input: ['in', '--sizes=2,4', '--tags', '["a,b"]'], expected: { input: 'in', ...DEFAULTS, sizes: [2, 4], tags: ['a,b'] } },
    { name: 'an empty list', input: ['in', '--sizes='], expected: { input: 'in', ...DEFAULTS, sizes: [] } },
    { name: 'JSON objects', input: ['in', '--extra={"k":[1]}'], expected: { input: 'in', ...DEFAULTS, extra: { k: [1] } } },
  ])('reads $name', ({ input, expected }) => {
    const config = parseCli(input, spec);
    expect(config).toEqual(expected);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    { name: 'an unknown flag, listing the known ones', input: ['in', '--rnus', '2'], error: 'unknown option --rnus; known: --runs, --rate, --mode, --verbose, --shuffle, --sizes, --tags, --extra, --api-key, --config' },
    { name: 'a short flag', input: ['in', '-r'], error: 'unknown option -r; known: --runs, --rate, --mode, --verbose, --shuffle, --sizes, --tags, --extra, --api-key, --config' },
    { name: 'a flag without its value', input: ['in', '--runs'], error: '--runs needs a value' },
    { name: 'a flag followed by a flag', input: ['in', '--runs', '--verbose'], error: '--runs needs a value' },
    { name: 'a value given to a boolean', input: ['in', '--verbose=yes'], error: '--verbose takes no value (or true/false), got yes' },
    { name: 'a text where a number goes', input: ['in', '--runs', 'many'], error: '--runs: Invalid input: expected number, received string (got "many")' },
    { name: 'a number out of range', input: ['in', '--runs=0'], error: '--runs: Too small: expected number to be >=1 (got "0")' },
    { name: 'a bad list element', input: ['in', '--sizes=2,x'], error: '--sizes[1]: Invalid input: expected number, received string (got "2,x")' },
    { name: 'an enum miss', input: ['in', '--mode', 'warp'], error: '--mode: Invalid option: expected one of "fast"|"slow" (got "warp")' },
    { name: 'a missing positional', input: ['--runs', '2'], error: '<input> is required (string)' },
    { name: 'an extra positional', input: ['in', 'out', 'more'], error: 'unexpected argument more; expected <input> <output>' },
  ])('refuses $name, with the usage line', ({ input, error }) => {
    expect(() => parseCli(input, spec)).toThrow(refusal(error));
  });

  it('takes --config file.json values, which the flags override', async () => {
    const file = path.join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ runs: 5, mode: 'slow', sizes: [8] }));
    expect(parseCli(['in', '--config', file, '--runs=6'], spec)).toEqual({ input: 'in', ...DEFAULTS, runs: 6, mode: 'slow', sizes: [8] });
  });

  it.each([
    { name: 'an unknown key', content: { runz: 5 }, error: (f: string) => `${f}: unknown key(s) runz` },
    { name: 'a bad value, naming the file', content: { runs: 'five' }, error: (f: string) => `--runs (from ${f}): Invalid input: expected number, received string` },
    { name: 'not an object', content: [1], error: (f: string) => `--config ${f}: expected a JSON object` },
  ])('refuses a config file with $name', async ({ content, error }) => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, JSON.stringify(content));
    expect(() => parseCli(['in', `--config=${file}`], { schema, positionals: ['input'] })).toThrow(/unknown option --config/);
    expect(() => parseCli(['in', `--config=${file}`], spec)).toThrow(refusal(error(file)));
  });
});

describe('overridesOf', () => {
  it('keeps only the fields given, validated by their schema', () => {
    const overrides = z.strictObject(overridesOf(trainConfigSchema.shape));
    expect(parseCli(['--epochs=4', '--filters=8,16', '--no-affine'], { schema: overrides })).toEqual({ epochs: 4, filters: [8, 16], affine: false });
    expect(() => parseCli(['--lrDecay=2'], { schema: overrides })).toThrow(/^--lrDecay: Too big: expected number to be <=1/);
  });
});

describe('the scripts', () => {
  it('train: every knob of trainConfigSchema is a flag; an unknown one exits 1 naming it', async () => {
    const r = await runScript('train.ts', ['--bogus=1']);
    expect(r.code).toBe(1);
    const known = /^\[train\] error: unknown option --bogus; known: (.*)\n$/.exec(r.stderr)?.[1].split(', ');
    expect(known).toEqual([...['preset', 'resume', 'merge', 'out', 'raw'], ...Object.keys(trainConfigSchema.shape), 'config'].map((k) => `--${k}`));
  });

  it('enroll: a bad command line exits 2 with the reason and the usage', async () => {
    const r = await runScript('enroll.ts', ['x', 'y', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^enroll: unknown option --bogus; known: --url, --api-key, --create, --kind, --domain, --detect, --batch\nusage: npm run enroll -- <collection> <folder\|zip> /);
  });
});
