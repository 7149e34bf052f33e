/**
 * The one command-line parser of every script: `node:util` `parseArgs` (strict) reads the flags,
 * whose options are derived from the script's zod schema, and the schema types, defaults and
 * validates them. `--key value` and `--key=value` both work; a boolean takes no value (`--flag`;
 * `--no-flag`, and `--flag=true|false` as the scripts' older spelling); numbers, lists (`1,5` or
 * JSON) and JSON objects are read by the schema field's type; declared positionals fill schema
 * keys in order; `--config file.json` (where a script takes it) supplies values the flags override.
 * Every error is an `InputError('invalid_args')` naming the flag and what was expected.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { InputError } from '@/lib/errors';

/** What a script's command line is. */
export interface CliSpec<S extends z.ZodObject> {
  /** Every flag and positional as one strict object; its field types say how to read each value. */
  schema: S;
  /** Schema keys filled by positional arguments, in order. */
  positionals?: readonly (keyof S['shape'] & string)[];
  /** Whether `--config file.json` supplies values (the flags override them). */
  configFile?: boolean;
  /** Usage line appended to every error. */
  usage?: string;
}

/** How a value given as text becomes the schema field's input. */
type ValueKind = 'boolean' | 'number' | 'list' | 'json' | 'text';

/** The field without its default, optional or nullable wrapper. */
function unwrap(field: z.core.$ZodType): z.core.$ZodType {
  return field instanceof z.ZodDefault || field instanceof z.ZodOptional || field instanceof z.ZodNullable ? unwrap(field.unwrap() as z.core.$ZodType) : field;
}

function kindOf(field: z.core.$ZodType): ValueKind {
  const inner = unwrap(field);
  if (inner instanceof z.ZodBoolean) return 'boolean';
  if (inner instanceof z.ZodNumber) return 'number';
  if (inner instanceof z.ZodArray) return 'list';
  if (inner instanceof z.ZodObject || inner instanceof z.ZodRecord) return 'json';
  return 'text';
}

/** Reads `raw` as `field` expects; text that does not read stays text, for the schema to refuse by name. */
function readValue(field: z.core.$ZodType, raw: string): unknown {
  const kind = kindOf(field);
  if (kind === 'number') return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  if (kind === 'json' || (kind === 'list' && raw.trimStart().startsWith('['))) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  if (kind === 'list') {
    const element = (unwrap(field) as z.ZodArray).element as z.core.$ZodType;
    return raw === '' ? [] : raw.split(',').map((part) => readValue(element, part));
  }
  return raw;
}

/**
 * The schema's fields without their defaults, each optional: for flags that override values
 * resolved elsewhere (train's knobs), so only what was given comes back.
 */
export function overridesOf<T extends z.core.$ZodLooseShape>(shape: T): { [K in keyof T]: z.ZodOptional<z.ZodType<z.output<T[K]>>> } {
  const out: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(shape)) {
    out[key] = (field instanceof z.ZodDefault ? (field.removeDefault() as z.ZodType) : (field as z.ZodType)).optional();
  }
  return out as { [K in keyof T]: z.ZodOptional<z.ZodType<z.output<T[K]>>> };
}

function fail(message: string, usage: string | undefined): never {
  throw new InputError('invalid_args', usage ? `${message}\n${usage}` : message);
}

/** `--flag=true|false` of a boolean flag, as parseArgs reads it: `--flag` / `--no-flag`. */
function spellBooleans(argv: readonly string[], booleans: ReadonlySet<string>, usage: string | undefined): string[] {
  return argv.map((arg) => {
    const m = /^--([^=]+)=(.*)$/s.exec(arg);
    if (!m || !booleans.has(m[1])) return arg;
    if (m[2] === 'true') return `--${m[1]}`;
    if (m[2] === 'false') return `--no-${m[1]}`;
    return fail(`--${m[1]} takes no value (or true/false), got ${m[2]}`, usage);
  });
}

function readConfigFile(file: string, usage: string | undefined): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return fail(`--config ${file}: ${(err as Error).message}`, usage);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail(`--config ${file}: expected a JSON object`, usage);
  return parsed as Record<string, unknown>;
}

/** Parses `argv` (after the script name) into the frozen, validated config of `spec.schema`. */
export function parseCli<S extends z.ZodObject>(argv: readonly string[], spec: CliSpec<S>): Readonly<z.output<S>> {
  const { schema, usage } = spec;
  const positionals: readonly string[] = spec.positionals ?? [];
  const shape = schema.shape as Record<string, z.core.$ZodType>;
  const flags = Object.keys(shape).filter((k) => !positionals.includes(k));
  const booleans = new Set(flags.filter((k) => kindOf(shape[k]) === 'boolean'));
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const key of flags) options[key] = { type: booleans.has(key) ? 'boolean' : 'string' };
  for (const key of booleans) options[`no-${key}`] = { type: 'boolean' };
  if (spec.configFile) options.config = { type: 'string' };

  const args = spellBooleans(argv, booleans, usage);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const known = Object.keys(options).filter((k) => !k.startsWith('no-')).map((k) => `--${k}`);
      return fail(`${e.message.split('.')[0].replace(/^Unknown option '(.*)'$/, 'unknown option $1')}; known: ${known.join(', ') || 'none'}`, usage);
    }
    // The only other strict failure: a flag that needs a value got none (or a flag in its place).
    const flag = /'(--?[^ ']+)/.exec(e.message)?.[1] ?? 'a flag';
    return fail(`${flag} needs a value`, usage);
  }

  // Values as given (text, for error messages) and as read.
  const given: Record<string, string> = {};
  const cli: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed.values)) {
    if (key === 'config') continue;
    if (key.startsWith('no-') && booleans.has(key.slice(3))) cli[key.slice(3)] = false;
    else if (typeof value === 'string') given[key] = value;
    else cli[key] = value;
  }
  if (parsed.positionals.length > positionals.length) {
    fail(`unexpected argument ${parsed.positionals[positionals.length]}${positionals.length ? `; expected ${positionals.map((p) => `<${p}>`).join(' ')}` : ''}`, usage);
  }
  parsed.positionals.forEach((value, i) => (given[positionals[i]] = value));
  for (const [key, value] of Object.entries(given)) cli[key] = readValue(shape[key], value);

  const configPath = parsed.values.config;
  const fromFile = typeof configPath === 'string' ? readConfigFile(configPath, usage) : {};
  const input = { ...fromFile, ...cli };
  const result = schema.safeParse(input);
  if (!result.success) {
    const name = (key: string) => (positionals.includes(key) ? `<${key}>` : `--${key}`);
    const issues = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      if (!key) return issue.code === 'unrecognized_keys' ? `${configPath ?? 'config'}: unknown key(s) ${issue.keys.join(', ')}` : issue.message;
      const source = key in cli ? '' : key in fromFile ? ` (from ${configPath})` : '';
      const got = key in given ? ` (got ${JSON.stringify(given[key])})` : '';
      if (issue.code === 'invalid_type' && input[key] === undefined) return `${name(key)} is required (${issue.expected})`;
      const within = issue.path.slice(1).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      return `${name(key)}${within}${source}: ${issue.message}${got}`;
    });
    fail(issues.join('; '), usage);
  }
  return Object.freeze(result.data);
}

