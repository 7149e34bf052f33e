// Renders JSON Schema (as the OpenAPI document holds it) as readable type text and field tables.
import type { ReactNode } from 'react';

/** A JSON Schema node, loosely typed: the document is data, not code. */
export type Schema = {
  $ref?: string;
  type?: string | string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
};

/** Name of a component from its `$ref`. */
export function refName(ref: string): string {
  return ref.split('/').pop() ?? ref;
}

/** A schema as one line of type text, with links to named components. */
export function TypeText({ schema }: { schema: Schema | undefined }): ReactNode {
  if (!schema || Object.keys(schema).length === 0) return <span className="text-slate-500">any</span>;
  if (schema.$ref) {
    const name = refName(schema.$ref);
    return <a className="text-sky-700 underline" href={`#schema-${name}`}>{name}</a>;
  }
  const alts = schema.anyOf ?? schema.oneOf;
  if (alts) return <>{alts.map((s, i) => <span key={i}>{i > 0 && ' | '}<TypeText schema={s} /></span>)}</>;
  if (schema.enum) return <>{schema.enum.map((v) => JSON.stringify(v)).join(' | ')}</>;
  if (schema.const !== undefined) return <>{JSON.stringify(schema.const)}</>;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? 'object'];
  return (
    <>
      {types.map((t, i) => (
        <span key={t}>
          {i > 0 && ' | '}
          {t === 'array' ? <><TypeText schema={schema.items} />[]</> : t === 'string' && schema.format === 'binary' ? 'file' : schema.format && t === 'string' ? `string (${schema.format})` : t}
        </span>
      ))}
    </>
  );
}

function limits(s: Schema): string {
  const parts: string[] = [];
  if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined && s.maximum < 1e15) parts.push(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) parts.push(`< ${s.exclusiveMaximum}`);
  if (s.minItems !== undefined) parts.push(`${s.minItems}..${s.maxItems ?? '∞'} items`);
  if (s.minLength !== undefined || s.maxLength !== undefined) parts.push(`${s.minLength ?? 0}..${s.maxLength ?? '∞'} chars`);
  if (s.default !== undefined) parts.push(`default ${JSON.stringify(s.default)}`);
  return parts.join(', ');
}

/** The fields of an object schema as a table (or the type line for anything else). */
export function FieldTable({ schema }: { schema: Schema }): ReactNode {
  if (!schema.properties) return <p className="font-mono text-sm"><TypeText schema={schema} /></p>;
  return (
    <table className="w-full text-left text-sm">
      <thead className="text-slate-500">
        <tr>
          <th className="py-1 pr-4 font-medium">Field</th>
          <th className="py-1 pr-4 font-medium">Type</th>
          <th className="py-1 font-medium">Notes</th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(schema.properties).map(([name, s]) => (
          <tr key={name} className="border-t border-slate-100 align-top">
            <td className="py-1 pr-4 font-mono">
              {name}
              {schema.required?.includes(name) ? '' : <span className="text-slate-400">?</span>}
            </td>
            <td className="py-1 pr-4 font-mono"><TypeText schema={s} /></td>
            <td className="py-1 text-slate-600">{[s.description, limits(s)].filter(Boolean).join(' · ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
