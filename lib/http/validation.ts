/** zod failures as the API's `{path, message}` list (never the raw issues). */
import { z } from 'zod';
import type { FieldError } from './problem';

/** One `{path, message}` per failing field; unknown fields are named one by one. */
export function toFieldErrors(error: z.ZodError): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: base ? `${base}.${key}` : key, message: 'unknown field' });
    } else {
      out.push({ path: base, message: issue.message });
    }
  }
  return out;
}

const cache = new WeakMap<z.ZodType, ReadonlySet<string>>();

/** Names of a multipart schema's array fields (repeated parts), read from its JSON Schema. */
export function arrayFields(schema: z.ZodType): ReadonlySet<string> {
  let fields = cache.get(schema);
  if (!fields) {
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, { type?: string }> };
    fields = new Set(Object.entries(json.properties ?? {}).filter(([, p]) => p.type === 'array').map(([k]) => k));
    cache.set(schema, fields);
  }
  return fields;
}
