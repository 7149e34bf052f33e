// Writes prisma/<provider>/schema.prisma from prisma/models.prisma, then (with --generate)
// generates both Prisma clients. The Prisma CLI wants a schema-engine binary even for
// `generate`; none can be downloaded here, so a stub that only fails stands in (generate never calls it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DB_PROVIDERS, renderSchema, schemaPath } from '@/lib/db/schemas';
import { parseCli } from './cli/args';

let generate: boolean;
try {
  ({ generate } = parseCli(process.argv.slice(2), { schema: z.strictObject({ generate: z.boolean().default(false) }) }));
} catch (err) {
  process.stderr.write(`db-schemas: ${(err as Error).message}\n`);
  process.exit(1);
}
const root = path.resolve(import.meta.dirname, '..');
for (const provider of DB_PROVIDERS) {
  const file = schemaPath(root, provider);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, renderSchema(root, provider));
  if (generate) {
    execFileSync(path.join(root, 'node_modules', '.bin', 'prisma'), ['generate', '--schema', file, '--no-hints'], {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: path.join(root, 'prisma', 'schema-engine-stub.sh'),
        CHECKPOINT_DISABLE: '1',
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
      },
    });
  }
}
