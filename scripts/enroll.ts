/**
 * Bulk enrollment over HTTP into a running server:
 *
 *   npm run enroll -- <collection> <folder-per-identity | .zip> [--create --kind face|object [--domain drawings|photos] [--detect auto|always|never]]
 *                     [--url http://127.0.0.1:$PORT] [--api-key $API_KEY] [--batch 8]
 *
 * `<collection>` is a collection's id or name (`--create` makes it when missing). Each identity is
 * the folder directly holding its images (nested folders and .zip archives too; see
 * lib/datasets/folder.ts); its folder path is the identity's externalId, so a second run finds it.
 * Resumable: files whose content hash is already enrolled for their identity are skipped, so a run
 * killed half-way and started again ends with each image once. Prints a progress bar, then a
 * summary of rejected images by reason (face refusals, undecodable files, conflicts: the run goes on);
 * the last stdout line is a JSON summary. Exits 1 only on transport, auth (401, 403) or server (5xx)
 * errors, after waiting out a few 503s that carry Retry-After.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { env } from '@/lib/config/env';
import { listFolderImages, type FolderImage } from '@/lib/datasets';
import { parseCli } from './cli/args';
import { createProgressLine, drawBar, formatDuration } from './cli/progress';

const USAGE = 'usage: npm run enroll -- <collection> <folder|zip> [--create --kind face|object [--domain drawings|photos] [--detect auto|always|never]] [--url URL] [--api-key KEY] [--batch N]';

/** The command line; `--create` needs `--kind`. */
const enrollArgsSchema = z
  .strictObject({
    /** A collection's id or name. */
    collection: z.string().min(1),
    /** Folder per identity, or a .zip of them. */
    root: z.string().min(1),
    /** The server. */
    url: z.url().default(`http://127.0.0.1:${env.PORT}`).transform((u) => u.replace(/\/+$/, '')),
    /** Default: API_KEY. */
    'api-key': z.string().optional(),
    /** Make the collection when missing. */
    create: z.boolean().default(false),
    kind: z.enum(['face', 'object']).optional(),
    /** Image domain of an object collection made by --create (the server's default: photos). */
    domain: z.enum(['drawings', 'photos']).optional(),
    /** Face detection setting of a collection made by --create. */
    detect: z.enum(['auto', 'always', 'never']).optional(),
    /** Images per upload. */
    batch: z.number().int().min(1).max(32).default(8),
  })
  .refine((a) => !a.create || a.kind, { path: ['kind'], message: 'required with --create (face or object)' });

type Args = z.output<typeof enrollArgsSchema>;

function fail(message: string): never {
  process.stderr.write(`enroll: ${message}\n`);
  process.exit(2);
}

/** A non-2xx answer, with its problem body. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { code?: string; title?: string; detail?: string; rejected?: Rejected[] },
  ) {
    super(`${status} ${problem.title ?? ''}: ${problem.detail ?? ''}`);
  }
}

type Rejected = { file: string; reason: string; detail: string };

/** Tries of one call that the server answers 503 with Retry-After. */
const RETRIES_ON_503 = 4;

function createClient(args: Args) {
  return async function call<T>(method: string, route: string, body?: { json?: unknown; form?: FormData }): Promise<T> {
    const apiKey = args['api-key'] ?? env.API_KEY;
    const headers: Record<string, string> = apiKey ? { 'x-api-key': apiKey } : {};
    if (body?.json !== undefined) headers['content-type'] = 'application/json';
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${args.url}${route}`, { method, headers, body: body?.json !== undefined ? JSON.stringify(body.json) : body?.form });
      const text = await res.text();
      const parsed = text ? JSON.parse(text) : null;
      // A 503 with Retry-After (the server starting, its ML worker restarting) is waited out a few
      // times; enrolling the same bytes again is answered as a duplicate, so a retry is safe.
      const retryAfter = Number(res.headers.get('retry-after'));
      if (res.status === 503 && retryAfter > 0 && attempt < RETRIES_ON_503) {
        await new Promise((r) => setTimeout(r, Math.min(retryAfter, 30) * 1000));
        continue;
      }
      if (!res.ok) throw new HttpError(res.status, parsed ?? {});
      return parsed as T;
    }
  };
}

type Client = ReturnType<typeof createClient>;
type PageOf<T> = { items: T[]; nextCursor: string | null };

async function* pages<T>(call: Client, route: string): AsyncGenerator<T> {
  let cursor: string | null = null;
  do {
    const sep = route.includes('?') ? '&' : '?';
    const page: PageOf<T> = await call('GET', `${route}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

async function resolveCollection(call: Client, args: Args): Promise<{ id: string; name: string; kind: string }> {
  for await (const c of pages<{ id: string; name: string; kind: string }>(call, '/api/collections')) {
    if (c.id === args.collection || c.name === args.collection) {
      if (args.kind && c.kind !== args.kind) fail(`collection "${c.name}" is of kind ${c.kind}, not ${args.kind}`);
      return c;
    }
  }
  if (!args.create) fail(`no collection "${args.collection}"; pass --create --kind face|object to create it`);
  return call('POST', '/api/collections', {
    json: { name: args.collection, kind: args.kind, ...(args.domain ? { domain: args.domain } : {}), ...(args.detect ? { settings: { detect: args.detect } } : {}) },
  });
}

/** The identity with this externalId, created when missing. */
async function resolveIdentity(call: Client, collectionId: string, externalId: string): Promise<string> {
  const find = async () => {
    for await (const i of pages<{ id: string; externalId: string | null }>(call, `/api/collections/${collectionId}/identities?q=${encodeURIComponent(externalId)}`)) {
      if (i.externalId === externalId) return i.id;
    }
    return null;
  };
  const found = await find();
  if (found) return found;
  try {
    const made = await call<{ id: string }>('POST', `/api/collections/${collectionId}/identities`, { json: { name: path.posix.basename(externalId), externalId } });
    return made.id;
  } catch (err) {
    if (err instanceof HttpError && err.status === 409) return (await find()) ?? Promise.reject(err); // created concurrently
    throw err;
  }
}

/** Identity paths without the top folder every one of them shares (an archive's "att_faces/"). */
function stripSharedTop(images: FolderImage[]): (identity: string) => string {
  const tops = new Set(images.map((i) => i.identity.split('/')[0]));
  const deep = images.every((i) => i.identity.includes('/'));
  const [top] = tops;
  return tops.size === 1 && deep ? (id) => id.slice(top.length + 1) : (id) => id;
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseCli(process.argv.slice(2), { schema: enrollArgsSchema, positionals: ['collection', 'root'], usage: USAGE });
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  const call = createClient(args);
  const images = await listFolderImages(args.root);
  const relabel = stripSharedTop(images);
  const byIdentity = new Map<string, FolderImage[]>();
  for (const img of images) {
    const id = relabel(img.identity);
    const own = byIdentity.get(id) ?? [];
    own.push(img);
    byIdentity.set(id, own);
  }
  const collection = await resolveCollection(call, args);
  process.stderr.write(`[enroll] ${images.length} images of ${byIdentity.size} identities from ${args.root} into "${collection.name}" (${collection.kind}) at ${args.url}\n`);

  const show = createProgressLine();
  const started = Date.now();
  const totals = { enrolled: 0, skipped: 0, duplicates: 0, rejected: 0 };
  const rejected: Rejected[] = [];
  let done = 0;
  const progress = (persist = false) => {
    const rate = (totals.enrolled + totals.duplicates + totals.rejected) / Math.max(1e-3, (Date.now() - started) / 1000);
    const eta = rate > 0 ? (images.length - done) / rate : 0;
    show(`${drawBar(done / images.length)} ${done}/${images.length} enrolled ${totals.enrolled} skipped ${totals.skipped} rejected ${totals.rejected} ${rate.toFixed(1)} img/s ETA ${formatDuration(eta)}`, persist);
  };

  for (const [externalId, files] of byIdentity) {
    const identityId = await resolveIdentity(call, collection.id, externalId);
    const have = new Set<string>();
    for await (const img of pages<{ sha256: string }>(call, `/api/identities/${identityId}/images`)) have.add(img.sha256);
    const todo = files.filter((f) => !have.has(createHash('sha256').update(f.bytes).digest('hex')));
    totals.skipped += files.length - todo.length;
    done += files.length - todo.length;
    for (let i = 0; i < todo.length; i += args.batch) {
      const chunk = todo.slice(i, i + args.batch);
      const send = async (batch: FolderImage[]) => {
        const form = new FormData();
        for (const f of batch) form.append('images', new Blob([new Uint8Array(f.bytes)]), f.source);
        try {
          const r = await call<{ enrolled: { verdicts: string[] }[]; rejected: Rejected[] }>('POST', `/api/identities/${identityId}/images`, { form });
          for (const e of r.enrolled) totals[e.verdicts.includes('duplicate') ? 'duplicates' : 'enrolled']++;
          rejected.push(...r.rejected);
        } catch (err) {
          // Transport, auth and server errors end the run; any other 4xx is about the files.
          if (!(err instanceof HttpError) || err.status >= 500 || err.status === 401 || err.status === 403) throw err;
          if (err.problem.code === 'enroll_rejected') rejected.push(...(err.problem.rejected ?? []));
          else if (batch.length > 1) for (const f of batch) await send([f]); // find the one file at fault (a conflict, a 413)
          else rejected.push({ file: batch[0].source, reason: err.problem.code ?? `http_${err.status}`, detail: err.problem.detail ?? '' });
        }
      };
      await send(chunk);
      totals.rejected = rejected.length;
      done += chunk.length;
      progress();
    }
  }
  progress(true);
  const byReason: Record<string, number> = {};
  for (const r of rejected) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
  process.stderr.write(`[enroll] done in ${formatDuration((Date.now() - started) / 1000)}: ${totals.enrolled} enrolled, ${totals.skipped} already there, ${totals.duplicates} duplicates, ${rejected.length} rejected\n`);
  for (const [reason, n] of Object.entries(byReason).sort((a, b) => b[1] - a[1])) {
    process.stderr.write(`  ${reason}: ${n} (e.g. ${rejected.find((r) => r.reason === reason)!.file}: ${rejected.find((r) => r.reason === reason)!.detail})\n`);
  }
  process.stdout.write(`${JSON.stringify({ collectionId: collection.id, images: images.length, identities: byIdentity.size, ...totals, rejectedByReason: byReason })}\n`);
}

main().catch((err) => {
  process.stderr.write(`enroll: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
