// The OpenAPI document covers exactly the routes that exist: every exported handler of every
// app/api/**/route.ts is a documented operation and every documented operation has a handler;
// every schema compiles under strict JSON Schema 2020-12 and every $ref resolves.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';

const API = path.resolve(import.meta.dirname, '../../app/api');
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
type Doc = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown>; operationId: string }>>; components: { schemas: Record<string, object> } };
let doc: Doc;

/** `app/api/collections/[id]/search/route.ts` -> `/api/collections/{id}/search`. */
function routeFiles(dir: string, prefix = '/api'): { template: string; file: string }[] {
  const out: { template: string; file: string }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !entry.name.startsWith('_')) out.push(...routeFiles(path.join(dir, entry.name), `${prefix}/${entry.name.replace(/^\[(\w+)\]$/, '{$1}')}`));
    else if (entry.name === 'route.ts') out.push({ template: prefix, file: path.join(dir, entry.name) });
  }
  return out;
}

beforeAll(async () => {
  const { GET } = await import('@/app/api/openapi.json/route');
  const res = await GET(new Request('http://localhost/api/openapi.json'), { params: Promise.resolve({}) });
  expect(res.headers.get('content-type')).toBe('application/json');
  doc = (await res.json()) as Doc;
});

describe('openApiDocument', () => {
  it('is OpenAPI 3.1 and needs no auth', () => {
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents every exported handler, and nothing else', async () => {
    const exported: string[] = [];
    for (const { template, file } of routeFiles(API)) {
      const mod = (await import(file)) as Record<string, unknown>;
      for (const m of METHODS) if (typeof mod[m] === 'function') exported.push(`${m} ${template}`);
    }
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(exported.sort()).toEqual(documented.sort());
    expect(exported.length).toBeGreaterThanOrEqual(25);
  });

  it('compiles every schema strictly and resolves every $ref', () => {
    const ajv = new Ajv2020({ strict: true });
    addFormats(ajv);
    ajv.addFormat('binary', true);
    ajv.addVocabulary(['components']);
    ajv.addSchema({ $id: 'openapi', components: doc.components });
    const text = JSON.stringify(doc).replace(/"\$ref":"#\/components\//g, '"$ref":"openapi#/components/');
    const rebased = JSON.parse(text) as Doc;
    let compiled = 0;
    for (const ops of Object.values(rebased.paths)) {
      for (const op of Object.values(ops)) {
        for (const r of Object.values(op.responses) as { content?: Record<string, { schema: object }> }[]) {
          for (const c of Object.values(r.content ?? {})) {
            ajv.compile(c.schema);
            compiled++;
          }
        }
      }
    }
    expect(compiled).toBeGreaterThan(100);
  });

  it('documents an object collection\'s domain (issue 19): drawings or photos in the create body and the collection, null for faces', () => {
    const schemas = doc.components.schemas as Record<string, { properties: Record<string, unknown>; required?: string[] }>;
    expect(schemas.Collection.properties.domain).toMatchObject({ anyOf: [{ type: 'string', enum: ['drawings', 'photos'] }, { type: 'null' }] });
    expect(schemas.Collection.required).toContain('domain');
    expect(schemas.CreateCollectionRequest.properties.domain).toMatchObject({ type: 'string', enum: ['drawings', 'photos'], description: expect.stringContaining('default photos') });
    expect(schemas.CreateCollectionRequest.required).not.toContain('domain');
  });

  it('marks every response schema closed (additionalProperties: false)', () => {
    const open: string[] = [];
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      const walk = (s: unknown, where: string): void => {
        if (!s || typeof s !== 'object') return;
        const o = s as Record<string, unknown>;
        if (o.type === 'object' && o.properties && o.additionalProperties !== false) open.push(where);
        for (const [k, v] of Object.entries(o)) walk(v, `${where}.${k}`);
      };
      walk(schema, name);
    }
    expect(open).toEqual([]);
  });
});
