/**
 * Arguments of `scripts/evaluate.ts`: one zod schema per command (typed defaults, unknown keys
 * rejected). `--key value` and `--key=value` both work; `--config file.json` supplies values that
 * command-line arguments override; one positional argument per command.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '@/lib/errors';

/** Default location of the Omniglot background zip, relative to the repository root. */
const ZIP = '../shared/data/omniglot-background/images_background.zip';

/** Every knob of every evaluate command. */
export const EVALUATE_SCHEMAS = {
  oneshot: z.strictObject({
    folder: z.string().min(1),
    model: z.string().optional(),
    kind: z.enum(['object', 'face']).default('object'),
  }),
  'make-oneshot': z.strictObject({
    out: z.string().min(1),
    zip: z.string().default(ZIP),
    seed: z.coerce.number().int().default(0),
    runs: z.coerce.number().int().min(1).default(20),
  }),
  identify: z.strictObject({
    folder: z.string().min(1),
    shots: z.coerce.number().int().min(1),
    kind: z.enum(['object', 'face']).default('object'),
    model: z.string().optional(),
    seed: z.coerce.number().int().default(0),
    repeats: z.coerce.number().int().min(1).default(5),
    /** Enrol only N identities per repeat (a small gallery); default every identity not held out as a stranger. */
    identities: z.coerce.number().int().min(1).optional(),
    /** Adds `baselines` (faces: the plain descriptor at 0.6, and with our calibrated threshold). */
    compare: z.union([z.boolean(), z.stringbool()]).default(false),
  }),
  'make-identify': z.strictObject({ out: z.string().min(1), zip: z.string().default(ZIP) }),
} as const;

/** A command name. */
export type EvaluateCommand = keyof typeof EVALUATE_SCHEMAS;

/** A parsed command line: the command and its frozen config. */
export type EvaluateArgs = { [C in EvaluateCommand]: { command: C; config: Readonly<z.infer<(typeof EVALUATE_SCHEMAS)[C]>> } }[EvaluateCommand];

/** Flags that take no value (`--compare` means `--compare true`). */
const BOOLEAN_FLAGS = new Set(['compare']);

const POSITIONAL: Record<EvaluateCommand, string> = { oneshot: 'folder', 'make-oneshot': 'out', identify: 'folder', 'make-identify': 'out' };

function isCommand(value: string | undefined): value is EvaluateCommand {
  return value !== undefined && Object.hasOwn(EVALUATE_SCHEMAS, value);
}

/** Parses `argv` (after the script name); throws `InputError('invalid_args')` saying what is wrong. */
export function parseEvaluateArgs(argv: readonly string[]): EvaluateArgs {
  const [command, ...rest] = argv;
  if (!isCommand(command)) {
    throw new InputError('invalid_args', `expected a command (${Object.keys(EVALUATE_SCHEMAS).join(', ')}), got ${command ?? 'nothing'}`);
  }
  const cli: Record<string, unknown> = {};
  let configFile: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const key = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
      const value = eq > 0 ? arg.slice(eq + 1) : BOOLEAN_FLAGS.has(key) ? 'true' : rest[++i];
      if (value === undefined) throw new InputError('invalid_args', `flag --${key} needs a value`);
      if (key === 'config') configFile = value;
      else cli[key] = value;
    } else {
      const key = POSITIONAL[command];
      if (key in cli) throw new InputError('invalid_args', `unexpected extra argument ${arg}`);
      cli[key] = arg;
    }
  }
  const fromFile = configFile ? (JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>) : {};
  const parsed = EVALUATE_SCHEMAS[command].safeParse({ ...fromFile, ...cli });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ');
    throw new InputError('invalid_args', `${command}: ${issues}`);
  }
  return { command, config: Object.freeze(parsed.data) } as EvaluateArgs;
}
