/**
 * The `fs` blob store: files under `DATA_DIR/blobs/<aa>/<sha256>`, written as temp file, fsync,
 * rename, so a reader never sees half a file. One instance's own disk: the SQLite default.
 */
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '@/lib/errors';
import { KeyedLock, SHA_RE, sha256Hex, type BlobStore } from './blob-store';

/** Size of the pieces `stream` reads. */
const STREAM_CHUNK_BYTES = 1024 * 1024;

/** Blob files of one data directory. */
export class FsBlobStore implements BlobStore {
  readonly kind = 'fs' as const;
  /** Folder holding the blob files. */
  readonly root: string;
  private readonly locks = new KeyedLock();

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'blobs');
  }

  /** Path of the file holding `sha256`. */
  pathOf(sha256: string): string {
    return path.join(this.root, sha256.slice(0, 2), sha256);
  }

  async write(bytes: Uint8Array): Promise<string> {
    const sha = sha256Hex(bytes);
    const target = this.pathOf(sha);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    // Same content under the same name: replacing an existing file is harmless.
    await rename(tmp, target);
    await syncDir(path.dirname(target));
    return sha;
  }

  withLock<T>(sha256s: string[], fn: () => Promise<T>): Promise<T> {
    return this.locks.run(sha256s, fn);
  }

  async read(sha256: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.pathOf(sha256)));
    } catch {
      throw this.missing(sha256);
    }
  }

  async *stream(sha256: string): AsyncIterable<Uint8Array> {
    const fh = await open(this.pathOf(sha256), 'r').catch(() => {
      throw this.missing(sha256);
    });
    try {
      for await (const piece of fh.createReadStream({ highWaterMark: STREAM_CHUNK_BYTES, autoClose: false })) yield new Uint8Array(piece as Buffer);
    } finally {
      await fh.close();
    }
  }

  async exists(sha256: string): Promise<boolean> {
    return stat(this.pathOf(sha256)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  /** Every stored hash (temp files excluded). */
  async list(): Promise<string[]> {
    const out: string[] = [];
    for (const dir of await readdirOrEmpty(this.root)) {
      for (const name of await readdirOrEmpty(path.join(this.root, dir))) if (SHA_RE.test(name)) out.push(name);
    }
    return out.sort();
  }

  /** Also removes temp files. Call at start, before requests are served (no lock is taken). */
  async removeOrphans(isReferenced: (sha256s: string[]) => Promise<Set<string>>): Promise<string[]> {
    const removed: string[] = [];
    for (const dir of await readdirOrEmpty(this.root)) {
      const folder = path.join(this.root, dir);
      const names = await readdirOrEmpty(folder);
      const shas = names.filter((n) => SHA_RE.test(n));
      const referenced = shas.length ? await isReferenced(shas) : new Set<string>();
      for (const name of names) {
        if (SHA_RE.test(name) && referenced.has(name)) continue;
        await rm(path.join(folder, name), { force: true });
        removed.push(name);
      }
      if (names.length === removed.filter((r) => names.includes(r)).length) await rmdir(folder).catch(() => undefined);
    }
    return removed;
  }

  async close(): Promise<void> {}

  private missing(sha256: string): NotFoundError {
    return new NotFoundError('blob_not_found', `image file ${sha256} is missing under ${this.root}; restore DATA_DIR from a backup`);
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** fsyncs a directory so a rename inside it survives power loss. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
