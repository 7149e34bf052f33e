// The import graph of lib/ has no value cycles (issue 17). eslint-plugin-import-x is not installed,
// so this walks the value imports itself: `import type`, and imports whose every binding is
// `type`, are erased by TypeScript and cannot form a cycle at run time, so they are skipped.
// Dynamic `import()` runs inside a function body, after every module has loaded: not an edge.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** Specifiers of the value imports and re-exports of one source. */
function valueImports(fileName: string, source: string): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const node of sf.statements) {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const onlyTypes = clause !== undefined && (clause.isTypeOnly || (!clause.name && bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly)));
      if (!onlyTypes) out.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const onlyTypes = node.isTypeOnly || (clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly));
      if (!onlyTypes) out.push(node.moduleSpecifier.text);
    }
  }
  return out;
}

/** The file a specifier names among `files` (repo-relative), or null for packages and node: modules. */
function resolve(from: string, spec: string, files: ReadonlySet<string>): string | null {
  let base: string;
  if (spec.startsWith('@/')) base = spec.slice(2);
  else if (spec.startsWith('.')) base = path.posix.join(path.posix.dirname(from), spec);
  else return null;
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`]) if (files.has(candidate)) return candidate;
  return null;
}

/** Value-import cycles of a module graph given as file -> source: its strongly connected components (Tarjan) with a cycle. */
function valueCycles(sources: ReadonlyMap<string, string>): string[][] {
  const files = new Set(sources.keys());
  const edges = new Map([...sources].map(([file, src]) => [file, valueImports(file, src).map((s) => resolve(file, s, files)).filter((f): f is string => f !== null)]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || edges.get(v)!.includes(v)) cycles.push(component.sort());
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return cycles;
}

/** Every .ts file under lib/ (the generated Prisma client aside), repo-relative, with its source. */
function libSources(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (rel !== 'lib/db/generated') walk(rel);
      } else if (/\.tsx?$/.test(entry.name)) out.set(rel, readFileSync(path.join(root, rel), 'utf8'));
    }
  };
  walk('lib');
  return out;
}

describe('valueCycles', () => {
  it.each([
    { name: 'a value cycle through a re-export', input: { 'lib/a.ts': "import { b } from './b';", 'lib/b/index.ts': "export { c } from '@/lib/c';", 'lib/c.ts': "import { a } from './a';" }, expected: [['lib/a.ts', 'lib/b/index.ts', 'lib/c.ts']] },
    { name: 'a cycle closed by `import type`', input: { 'lib/a.ts': "import { b } from './b';", 'lib/b.ts': "import type { A } from './a';" }, expected: [] },
    { name: 'a cycle closed by type-only bindings', input: { 'lib/a.ts': "import { b } from './b';", 'lib/b.ts': "import { type A, type B } from './a';\nexport type { C } from './a';" }, expected: [] },
    { name: 'a cycle closed by one value binding among types', input: { 'lib/a.ts': "import { b } from './b';", 'lib/b.ts': "import { type A, a } from './a';" }, expected: [['lib/a.ts', 'lib/b.ts']] },
    { name: 'a cycle closed by a dynamic import', input: { 'lib/a.ts': "import { b } from './b';", 'lib/b.ts': "export const f = () => import('./a');" }, expected: [] },
  ])('finds $name', ({ input, expected }) => {
    expect(valueCycles(new Map(Object.entries(input)))).toEqual(expected);
  });

  it('finds none in lib/', () => {
    const sources = libSources();
    expect(sources.size).toBeGreaterThan(100);
    expect(valueCycles(sources)).toEqual([]);
  });
});
