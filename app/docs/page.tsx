import { GET } from '@/app/api/openapi.json/route';
import { FieldTable, refName, TypeText, type Schema } from './schema-view';

// Dynamic, so the root layout sees the session (a static page was rendered signed out at build time).
export const dynamic = 'force-dynamic';

type Op = {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  parameters: { name: string; in: string; required: boolean; description?: string; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
};
type Doc = { info: { title: string; version: string; description: string }; paths: Record<string, Record<string, Op>>; components: { schemas: Record<string, Schema> } };

const METHOD_STYLE: Record<string, string> = {
  get: 'bg-sky-100 text-sky-800',
  post: 'bg-emerald-100 text-emerald-800',
  patch: 'bg-amber-100 text-amber-800',
  delete: 'bg-rose-100 text-rose-800',
};

/** The page renders exactly the document GET /api/openapi.json serves. */
async function loadDocument(): Promise<Doc> {
  const res = await GET(new Request('http://localhost/api/openapi.json'), { params: Promise.resolve({}) });
  return (await res.json()) as Doc;
}

function Operation({ method, path, op }: { method: string; path: string; op: Op }) {
  return (
    <article id={op.operationId} className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
      <header className="flex flex-wrap items-center gap-3">
        <span className={`rounded px-2 py-0.5 font-mono text-xs font-semibold uppercase ${METHOD_STYLE[method] ?? ''}`}>{method}</span>
        <code className="font-mono text-sm">{path}</code>
        <span className="text-slate-700">{op.summary}</span>
      </header>
      {/* The description ends with who may call (the role table, lib/auth/roles.ts). */}
      {op.description && <p className="whitespace-pre-line text-sm text-slate-600">{op.description}</p>}
      {op.parameters.length > 0 && (
        <div>
          <h4 className="text-sm font-semibold">Parameters</h4>
          <ul className="text-sm">
            {op.parameters.map((p) => (
              <li key={`${p.in}-${p.name}`} className="font-mono">
                {p.name}
                {!p.required && <span className="text-slate-400">?</span>} <span className="text-slate-500">({p.in})</span>: <TypeText schema={p.schema} />
                {p.description && <span className="font-sans text-slate-600"> — {p.description}</span>}
              </li>
            ))}
          </ul>
        </div>
      )}
      {op.requestBody && (
        <div>
          <h4 className="text-sm font-semibold">Request body</h4>
          {Object.entries(op.requestBody.content).map(([type, c]) => (
            <p key={type} className="text-sm"><code className="font-mono">{type}</code>: <TypeText schema={c.schema} /></p>
          ))}
        </div>
      )}
      <div>
        <h4 className="text-sm font-semibold">Responses</h4>
        <ul className="text-sm">
          {Object.entries(op.responses).map(([status, r]) => (
            <li key={status}>
              <span className="font-mono font-semibold">{status}</span> {r.description}{' '}
              {Object.entries(r.content ?? {}).map(([type, c]) => (
                <span key={type} className="font-mono text-slate-600">{type} <TypeText schema={c.schema} /> </span>
              ))}
            </li>
          ))}
        </ul>
      </div>
    </article>
  );
}

/** The API reference, rendered from the OpenAPI document. */
export default async function DocsPage() {
  const doc = await loadDocument();
  const ops = Object.entries(doc.paths).flatMap(([path, byMethod]) => Object.entries(byMethod).map(([method, op]) => ({ path, method, op })));
  const tags = [...new Set(ops.map((o) => o.op.tags[0]))];
  return (
    <section className="space-y-8">
      <div className="space-y-2">
        <h1 className="text-2xl font-semibold">{doc.info.title} <span className="text-base font-normal text-slate-500">v{doc.info.version}</span></h1>
        <p className="text-slate-600">{doc.info.description}</p>
        <p className="text-sm">Machine-readable: <a className="text-sky-700 underline" href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p>
      </div>
      <nav aria-label="Operations" className="columns-2 text-sm">
        {ops.map(({ path, method, op }) => (
          <a key={op.operationId} href={`#${op.operationId}`} className="block font-mono text-sky-700 hover:underline">{method.toUpperCase()} {path}</a>
        ))}
      </nav>
      {tags.map((tag) => (
        <div key={tag} className="space-y-3">
          <h2 className="text-xl font-semibold">{tag}</h2>
          {ops.filter((o) => o.op.tags[0] === tag).map((o) => <Operation key={o.op.operationId} {...o} />)}
        </div>
      ))}
      <div className="space-y-3">
        <h2 className="text-xl font-semibold">Schemas</h2>
        {Object.entries(doc.components.schemas).map(([name, schema]) => (
          <article key={name} id={`schema-${name}`} className="space-y-2 rounded-lg border border-slate-200 bg-white p-4">
            <h3 className="font-mono font-semibold">{refName(name)}</h3>
            {schema.description && <p className="text-sm text-slate-600">{schema.description}</p>}
            <FieldTable schema={schema} />
          </article>
        ))}
      </div>
    </section>
  );
}
