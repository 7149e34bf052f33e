import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DB_PROVIDERS, renderSchema, schemaPath } from '@/lib/db/schemas';

const root = path.resolve(import.meta.dirname, '../..');

describe('renderSchema', () => {
  it.each(DB_PROVIDERS.map((p) => ({ provider: p })))('committed $provider schema equals the rendering of models.prisma', ({ provider }) => {
    expect(readFileSync(schemaPath(root, provider), 'utf8')).toBe(renderSchema(root, provider));
  });

  it('the two schemas differ only in the provider (and the client output folder named after it)', () => {
    const [a, b] = DB_PROVIDERS.map((p) =>
      readFileSync(schemaPath(root, p), 'utf8').replaceAll(`"${p}"`, '"PROVIDER"').replaceAll(`generated/${p}"`, 'generated/PROVIDER"'),
    );
    expect(a).toBe(b);
    expect(a).toContain('provider = "PROVIDER"');
  });
});
