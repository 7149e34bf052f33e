// The /docs page renders every operation and schema of the OpenAPI document.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

describe('DocsPage', () => {
  it('renders every operation and every schema of /api/openapi.json', async () => {
    const { default: DocsPage } = await import('@/app/docs/page');
    const { GET } = await import('@/app/api/openapi.json/route');
    const doc = (await (await GET(new Request('http://localhost/api/openapi.json'), { params: Promise.resolve({}) })).json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
      components: { schemas: Record<string, unknown> };
    };
    const html = renderToStaticMarkup(await DocsPage());
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(html).toContain(`id="${op.operationId}"`);
        expect(html).toContain(`${method.toUpperCase()} ${p}`);
      }
    }
    for (const name of Object.keys(doc.components.schemas)) expect(html).toContain(`id="schema-${name}"`);
    expect(html).toContain('href="#schema-Problem"');
  });
});
