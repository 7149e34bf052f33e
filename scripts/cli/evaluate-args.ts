/**
 * Arguments of `scripts/evaluate.ts`: one zod schema per command (typed defaults, unknown keys
 * rejected), read by the scripts' one parser (./args.ts): `--key value` or `--key=value`,
 * `--config file.json` supplying values the flags override, one positional argument per command.
 */
import { z } from 'zod';
import { InputError } from '@/lib/errors';
import { parseCli } from './args';

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
    seed: z.number().int().default(0),
    runs: z.number().int().min(1).default(20),
  }),
  identify: z.strictObject({
    folder: z.string().min(1),
    shots: z.number().int().min(1),
    kind: z.enum(['object', 'face']).default('object'),
    model: z.string().optional(),
    seed: z.number().int().default(0),
    repeats: z.number().int().min(1).default(5),
    /** Enrol only N identities per repeat (a small gallery); default every identity not held out as a stranger. */
    identities: z.number().int().min(1).optional(),
    /** Adds `baselines` (faces: the plain descriptor at 0.6, and with our calibrated threshold). */
    compare: z.boolean().default(false),
  }),
  'make-identify': z.strictObject({ out: z.string().min(1), zip: z.string().default(ZIP) }),
  detect: z.strictObject({
    folder: z.string().min(1),
    kind: z.literal('face').default('face'),
    /** Comma-separated face model folders whose detector and thresholds are compared (default: every folder under models/face). */
    models: z.string().min(1).optional(),
    /** enroll: the largest face per image; search: every face (photos with several faces). */
    purpose: z.enum(['enroll', 'search']).default('enroll'),
    /** Measure every N-th image only (folder order; 1 = all). */
    every: z.number().int().min(1).default(1),
  }),
} as const;

/** A command name. */
export type EvaluateCommand = keyof typeof EVALUATE_SCHEMAS;

/** A parsed command line: the command and its frozen config. */
export type EvaluateArgs = { [C in EvaluateCommand]: { command: C; config: Readonly<z.infer<(typeof EVALUATE_SCHEMAS)[C]>> } }[EvaluateCommand];

/** The positional argument of each command. */
const POSITIONAL = { oneshot: 'folder', 'make-oneshot': 'out', identify: 'folder', 'make-identify': 'out', detect: 'folder' } as const;

function isCommand(value: string | undefined): value is EvaluateCommand {
  return value !== undefined && Object.hasOwn(EVALUATE_SCHEMAS, value);
}

/** Parses `argv` (after the script name); throws `InputError('invalid_args')` saying what is wrong. */
export function parseEvaluateArgs(argv: readonly string[]): EvaluateArgs {
  const [command, ...rest] = argv;
  if (!isCommand(command)) {
    throw new InputError('invalid_args', `expected a command (${Object.keys(EVALUATE_SCHEMAS).join(', ')}), got ${command ?? 'nothing'}`);
  }
  try {
    const schema: z.ZodObject = EVALUATE_SCHEMAS[command];
    return { command, config: parseCli(rest, { schema, positionals: [POSITIONAL[command]], configFile: true }) } as EvaluateArgs;
  } catch (err) {
    if (err instanceof InputError) throw new InputError(err.code, `${command}: ${err.message}`);
    throw err;
  }
}
