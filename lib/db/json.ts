/**
 * The JSON columns' shapes, one zod schema per column, parsed once here on the way out of the
 * database: callers see the parsed type, never a cast. A stored value that does not parse is a
 * `StoredValueError` (stored_value_invalid) naming the column and row, not a silently wrong type.
 */
import { z } from 'zod';
import { StoredValueError } from '@/lib/errors';
import type { Prisma } from './generated/sqlite/client';

/** `Collection.settings`: face detection 'auto' | 'always' | 'never' (absent for object collections), and the search `ef` (absent: the default). */
export const collectionSettingsSchema = z.object({ detect: z.enum(['auto', 'always', 'never']).optional(), ef: z.number().int().positive().optional() });
/** A collection's settings as stored. */
export type CollectionSettings = z.infer<typeof collectionSettingsSchema>;

/** A free-form JSON object: `Identity.metadata`, `AuditEntry.details`, `Job.params`/`progress`/`result`. */
export const jsonObjectSchema = z.record(z.string(), z.unknown());
/** A free-form JSON object. */
export type JsonObject = z.infer<typeof jsonObjectSchema>;

/** `Image.box`: the face box in original pixels (the shape of lib/imaging's `Box`). */
export const imageBoxSchema = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });
/** A stored face box. */
export type StoredBox = z.infer<typeof imageBoxSchema>;

/** `Image.verdicts`: verdict codes, e.g. ["several_faces"]. */
export const imageVerdictsSchema = z.array(z.string());

/**
 * A value to write to a JSON column. Prisma's input type is a recursive JSON type that `unknown`
 * members do not satisfy; every value written here is one of the schemas' types above, so JSON.
 */
export function jsonInput(value: JsonObject | CollectionSettings | StoredBox | string[]): Prisma.InputJsonValue {
  return value as Prisma.InputJsonValue;
}

/** Where a stored value came from, for the error. */
export interface ColumnRef {
  /** `Model.column`, e.g. 'Collection.settings'. */
  column: string;
  id: string;
}

/** Parses a stored JSON value with its column's schema, or throws `StoredValueError`. */
export function parseColumn<S extends z.ZodType>(schema: S, value: unknown, at: ColumnRef): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new StoredValueError(
    'stored_value_invalid',
    `${at.column} of row ${at.id} does not match its schema: ${issue.path.join('.') || '(root)'}: ${issue.message}; fix or delete the row`,
    { column: at.column, id: at.id },
  );
}

/** Parses a nullable JSON column: null stays null. */
export function parseNullableColumn<S extends z.ZodType>(schema: S, value: unknown, at: ColumnRef): z.output<S> | null {
  return value === null || value === undefined ? null : parseColumn(schema, value, at);
}
