// Writes prisma/<provider>/schema.prisma from prisma/models.prisma, then (with --generate)
// generates both Prisma clients. The Prisma CLI wants a schema-engine binary even for
// `generate`; none can be downloaded here, so a stub that only fails stands in (generate never calls it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DB_PROVIDERS, renderSchema, schemaPath } from '@/lib/db/schemas';

const root = path.resolve(import.meta.dirname, '..');
for (const provider of DB_PROVIDERS) {
  const file = schemaPath(root, provider);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, renderSchema(root, provider));
  if (process.argv.includes('--generate')) {
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
