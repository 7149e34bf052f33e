/**
 * scrypt on one dedicated worker thread. `crypto.scrypt` runs on libuv's pool (4 threads), which
 * the serving process shares with file reads, zlib and sharp's decoding: issue 16 measured a flood
 * of wrong passwords (50 at a time, 32 MiB hashes) taking search latency from 0.06 s to 6-9.6 s.
 * Here hashes run one at a time on their own low-priority thread, resting between queued ones, so
 * they never queue ahead of that work, take at most a third of one core, and give it up to the
 * serving threads when the CPU is busy.
 */
import { Worker } from 'node:worker_threads';
import { AppError } from '@/lib/errors';

/**
 * Under a stream of hashes the thread works at most 1 / (1 + REST_RATIO) of the time, so most
 * searches during a login flood run beside no hash (the flood test's p50 ratio; issue 16).
 */
const REST_RATIO = 2;

/** The thread's code: inline, so no worker file has to survive Next's bundling. */
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
// Linux keeps nice values per thread: only this thread yields the CPU to searches under load (on
// other systems the value is per process, so it stays as it is there).
if (process.platform === 'linux') require('node:os').setPriority(19);
const queue = [];
let busy = false;
function next() {
  const job = queue.shift();
  if (!job) return void (busy = false);
  busy = true;
  const { id, password, salt, keyBytes, opts } = job;
  const t0 = performance.now();
  try {
    parentPort.postMessage({ id, key: scryptSync(password, salt, keyBytes, opts) });
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
  // Rest REST_RATIO times as long as the hash took before the next queued one: scrypt is memory-hard,
  // and its 32 MiB of random reads slow the threads beside it whatever their priority.
  setTimeout(next, (performance.now() - t0) * ${REST_RATIO});
}
parentPort.on('message', (job) => {
  queue.push(job);
  if (!busy) next();
});
`;

/** scrypt's cost parameters. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  maxmem: number;
}

/** The hashing thread failed (not a wrong password: those are a normal result). */
export class HashThreadError extends AppError {
  static override readonly kind: string = 'HashThreadError';

  constructor(message: string) {
    super('hash_failed', `password hashing failed: ${message}`);
  }
}

interface Pending {
  resolve: (key: Buffer) => void;
  reject: (err: Error) => void;
}

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, Pending>();

function failAll(err: Error): void {
  worker = null;
  for (const p of pending.values()) p.reject(err);
  pending.clear();
}

function thread(): Worker {
  if (worker) return worker;
  const w = new Worker(SOURCE, { eval: true });
  w.on('message', (m: { id: number; key?: Uint8Array; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.key) p.resolve(Buffer.from(m.key));
    else p.reject(new HashThreadError(m.error ?? 'no key returned'));
    // An idle thread must not keep the process alive.
    if (pending.size === 0) w.unref();
  });
  w.on('error', (err) => failAll(new HashThreadError(err.message)));
  w.on('exit', (code) => failAll(new HashThreadError(`the hashing thread exited with code ${code}`)));
  worker = w;
  return w;
}

/** `scrypt(password, salt)` of `keyBytes` bytes, computed on the hashing thread (one at a time, in call order). */
export function scryptOnThread(password: string, salt: Buffer, keyBytes: number, params: ScryptParams): Promise<Buffer> {
  const w = thread();
  const id = nextId++;
  w.ref();
  return new Promise<Buffer>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, password, salt: new Uint8Array(salt), keyBytes, opts: params });
  });
}
