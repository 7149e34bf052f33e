/**
 * Content-addressed store of original image bytes under `DATA_DIR/blobs/<aa>/<sha256>`.
 * Files are written before the database transaction that references them (temp file, fsync,
 * rename), so a crash leaves at worst an unreferenced file; `removeOrphans` deletes those at start.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '@/lib/errors';

/** SHA-256 of bytes, lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const SHA_RE = /^[0-9a-f]{64}$/;

/** Blob files of one data directory. */
export class BlobStore {
  /** Folder holding the blob files. */
  readonly root: string;
  private readonly locks = new Map<string, Promise<void>>();

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'blobs');
  }

  /** Path of the file holding `sha256`. */
  pathOf(sha256: string): string {
    return path.join(this.root, sha256.slice(0, 2), sha256);
  }

  /** Writes bytes durably under their hash (no-op when present); returns the hash. */
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

  /**
   * Runs `fn` holding the given hashes: an enrolment holds them from file write to commit, a
   * delete from commit to unlink, so a delete never unlinks a file a concurrent enrolment is
   * about to reference.
   */
  async withLock<T>(sha256s: string[], fn: () => Promise<T>): Promise<T> {
    const keys = [...new Set(sha256s)].sort();
    const releases: (() => void)[] = [];
    try {
      for (const k of keys) {
        const prev = this.locks.get(k) ?? Promise.resolve();
        let release!: () => void;
        const mine = new Promise<void>((r) => (release = r));
        const tail = prev.then(() => mine);
        this.locks.set(k, tail);
        releases.push(() => {
          release();
          if (this.locks.get(k) === tail) this.locks.delete(k);
        });
        await prev;
      }
      return await fn();
    } finally {
      for (const r of releases) r();
    }
  }

  /** Reads a blob's bytes. */
  async read(sha256: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.pathOf(sha256)));
    } catch {
      throw new NotFoundError('blob_not_found', `image file ${sha256} is missing under ${this.root}; restore DATA_DIR from a backup`);
    }
  }

  /** Deletes a blob file (absent is fine). */
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

  /**
   * Removes temp files and every blob file whose hash `isReferenced` rejects (left by a crash
   * between the file write and the database commit, or between a delete's commit and its unlink).
   * Call at start, before requests are served. Returns the removed file names.
   */
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
