/**
 * Blob store maintenance:
 *
 *   npm run blobs -- migrate --to database|fs
 *
 * Copies every blob (original images, trained model files) from the other store into `--to`,
 * checking each SHA-256 on both sides (lib/matching/runtime/blob-migration.ts). Resumable: run it
 * again after an interruption (Ctrl-C, kill) and it copies only what is missing. Stop the instances
 * first, then start them with BLOB_STORE set to the target (PostgreSQL's default is `database`).
 * The last stdout line is a JSON summary.
 */
import { z } from 'zod';
import { env } from '@/lib/config/env';
import { openDb, resolveDbTarget } from '@/lib/db/client';
import { migrate } from '@/lib/db/migrate';
import { migrateBlobs } from '@/lib/matching/runtime/blob-migration';
import { openBlobStore } from '@/lib/matching/runtime/open-blob-store';
import { parseCli } from './cli/args';
import { createProgressLine, drawBar } from './cli/progress';

const USAGE = 'usage: npm run blobs -- migrate --to database|fs';

/** The command line. */
const blobsArgsSchema = z.strictObject({
  /** The one command. */
  command: z.enum(['migrate']),
  /** The store to copy into; the source is the other one. */
  to: z.enum(['database', 'fs']),
});

async function main(): Promise<void> {
  const { to } = parseCli(process.argv.slice(2), { schema: blobsArgsSchema, positionals: ['command'], usage: USAGE });
  const from = to === 'database' ? 'fs' : 'database';
  const target = resolveDbTarget(env.DATABASE_URL, env.dataDir);
  await migrate(process.cwd(), target);
  const db = openDb(target);
  const source = openBlobStore(from, db, target, env.dataDir);
  const dest = openBlobStore(to, db, target, env.dataDir);
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort(new Error('interrupted; run the same command again to resume')));
  process.once('SIGTERM', () => abort.abort(new Error('terminated; run the same command again to resume')));
  const show = createProgressLine();
  console.info(`blobs: migrating ${from} -> ${to} (${target.provider} database, DATA_DIR ${env.dataDir})`);
  try {
    const result = await migrateBlobs(source, dest, {
      signal: abort.signal,
      onProgress: (p) => show(`${drawBar(p.done / p.total)} ${p.done}/${p.total} blobs (${p.copied} copied, ${p.present} already there)`, p.done === p.total),
    });
    console.info(`blobs: ${result.total} blobs in the ${to} store, every SHA-256 checked; start the instances with BLOB_STORE=${to}`);
    console.log(JSON.stringify({ from, to, ...result }));
  } finally {
    await source.close();
    await dest.close();
    await db.$disconnect();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`blobs: ${err.message}\n`);
  process.exit(1);
});
