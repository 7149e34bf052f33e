/**
 * Arguments of `scripts/evaluate.ts`: one zod schema per command (typed defaults, unknown keys
 * rejected), read by the scripts' one parser (./args.ts): `--key value` or `--key=value`,
 * `--config file.json` supplying values the flags override, one positional argument per command.
 */
import { z } from 'zod';
import { TABLE_REPEATS } from '@/lib/calibration';
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
  /** The identities a model never saw (neither its manifest's `data.train` nor `data.heldOut`), copied from the folder it trained on. */
  'make-heldout': z.strictObject({ out: z.string().min(1), model: z.string().min(1), source: z.string().min(1) }),
  /** The open-set grid of issue 18 (lib/evaluation/openset.ts). */
  openset: z.strictObject({
    folder: z.string().min(1),
    kind: z.enum(['object', 'face']).default('object'),
    model: z.string().optional(),
    seed: z.number().int().default(0),
    repeats: z.number().int().min(1).default(5),
    /** Gallery sizes in identities; `all` = every identity not held out as a stranger. */
    sizes: z.array(z.union([z.literal('all'), z.coerce.number().int().min(1)])).min(1).default([5, 20, 100, 'all']),
    shots: z.array(z.number().int().min(1)).min(1).default([1, 3, 5]),
    /** Target open-set FARs, each in (0, 1). */
    fars: z.array(z.number().gt(0).lt(1)).min(1).default([1e-2, 1e-3]),
    /** Policy names from lib/calibration/policies.ts. */
    policies: z.array(z.string().min(1)).min(1).default(['model-curve-identities']),
    /** Also each policy's `<policy>@measured` cells: the threshold read from each repeat's strangers (the ROC's operating point; lib/evaluation/openset.ts). */
    measured: z.boolean().default(false),
  }),
  /** Candidate minus baseline TAR per cell of two `openset` results, with a paired bootstrap interval (lib/evaluation/openset-compare.ts). */
  'compare-openset': z.strictObject({
    /** The candidate's `openset` JSON (bench/results/openset-….json). */
    candidate: z.string().min(1),
    /** The baseline's `openset` JSON, of the same data, seed and repeats. */
    baseline: z.string().min(1),
    resamples: z.number().int().min(100).default(2000),
    seed: z.number().int().default(1),
    /** Pair the baseline's cells of this policy with the candidate's of `--policy` (both or neither; --baseline and the candidate may be one run's file). */
    baselinePolicy: z.string().min(1).optional(),
    policy: z.string().min(1).optional(),
  }).refine((c) => (c.baselinePolicy === undefined) === (c.policy === undefined), { message: '--baselinePolicy and --policy go together' }),
  verify: z.strictObject({
    folder: z.string().min(1),
    /** Faces only: raw descriptor distances under one alignment. */
    kind: z.literal('face').default('face'),
    model: z.string().optional(),
    /** Crop: `box` (face-api's landmark box) or `dlib` (dlib's face chip); default the model's face.json. */
    align: z.enum(['box', 'dlib']).optional(),
    /** `--flip` / `--no-flip`: average the descriptors of the face and its mirror image; default the model's face.json. */
    flip: z.boolean().optional(),
    /** Keep only images whose path matches this regular expression (e.g. `frontal` on CFP). */
    files: z.string().optional(),
    seed: z.number().int().default(0),
    /** Impostor pairs sampled (all of them when fewer exist); FAR 1e-3 needs well over 3,000. */
    impostorPairs: z.number().int().min(1000).default(200000),
    /** Rank-1 gallery draws. */
    repeats: z.number().int().min(1).default(5),
  }),
  /** Embeds the model's score-normalisation cohort into its folder (lib/evaluation/make-cohort.ts). */
  'make-cohort': z.strictObject({
    /** Object: the Omniglot background zip (training alphabets). Face: a folder per identity (CFP; its even half). */
    source: z.string().min(1),
    kind: z.enum(['object', 'face']).default('object'),
    model: z.string().optional(),
    perIdentity: z.number().int().min(1).default(4),
  }),
  /** Measures the model's open-set table on its calibration identities into its folder (lib/evaluation/make-openset-table.ts). */
  'make-openset-table': z.strictObject({
    /** Folder-per-identity root (folder or .zip) holding the identities the model was calibrated on (manifest data.heldOut). */
    source: z.string().min(1),
    kind: z.enum(['object', 'face']).default('object'),
    model: z.string().optional(),
    repeats: z.number().int().min(1).default(TABLE_REPEATS),
    seed: z.number().int().default(0),
    /** How a gallery identity is scored: `centroid` is what the service does. */
    aggregate: z.enum(['nearest', 'centroid']).default('centroid'),
    /** Measure the identity bound: `auto` for calibration sets under BOUND_MAX_IDENTITIES (lib/calibration/identity-bound.ts), `always` to measure what it would do anyway. */
    bound: z.enum(['auto', 'always']).default('auto'),
  }),
  detect: z.strictObject({
    folder: z.string().min(1),
    kind: z.literal('face').default('face'),
    /** Comma-separated face model folders whose detector and thresholds are compared (default: every folder under models/face). */
    models: z.string().min(1).optional(),
    /** enroll: the largest face per image; search: every face (photos with several faces). */
    purpose: z.enum(['enroll', 'search']).default('enroll'),
    /** Measure every N-th image only (folder order; 1 = all). */
    every: z.number().int().min(1).default(1),
    /** Instead of the folder's images: N composite scenes of several faces (lib/evaluation/detect-scenes.ts), faces from the folder's odd identities. */
    scenes: z.number().int().min(0).default(0),
    /** With --scenes: the folder of background photos (e.g. ../shared/data/grocery-store/images). */
    backgrounds: z.string().min(1).optional(),
    /** With --scenes: seed of the scene generator. */
    seed: z.number().int().default(0),
  }).refine((c) => c.scenes === 0 || c.backgrounds !== undefined, { message: '--scenes needs --backgrounds <folder of background photos>' }),
} as const;

/** A command name. */
export type EvaluateCommand = keyof typeof EVALUATE_SCHEMAS;

/** A parsed command line: the command and its frozen config. */
export type EvaluateArgs = { [C in EvaluateCommand]: { command: C; config: Readonly<z.infer<(typeof EVALUATE_SCHEMAS)[C]>> } }[EvaluateCommand];

/** The positional argument of each command. */
const POSITIONAL = { oneshot: 'folder', 'make-oneshot': 'out', identify: 'folder', 'make-identify': 'out', 'make-heldout': 'out', openset: 'folder', 'compare-openset': 'candidate', verify: 'folder', 'make-cohort': 'source', 'make-openset-table': 'source', detect: 'folder' } as const;

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
