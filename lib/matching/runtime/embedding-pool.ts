/**
 * The embedding pool (issue 20: both cores busy): `workers` embedding workers
 * (embedding-worker.ts), each handed one task at a time, so TF.js wasm (one thread per worker)
 * computes on every core while the request thread stays free for health, auth and the UI.
 *
 * Micro-batching (issue 20, item 3): a request that finds a worker free, nothing queued and no
 * window open is sent at once (no added wait at low load: a 2 ms window for every request cost one
 * client 102 -> 68 req/s, p50 8 -> 13 ms, in the 180f462 run of bench-http-batch.json, in git at
 * 00e30c2); otherwise it opens a window of `batchWindowMs` for its model version (or joins the open
 * one), and the batch leaves when the window closes or it holds `maxBatchInputs` inputs, whichever
 * comes first. Waiting requests
 * are shared among the free workers (each takes its share, up to `maxBatchInputs` inputs, as one
 * call); when every worker is busy they wait in one queue, and the worker that frees up first takes
 * the oldest request together with the waiting requests of the same version. A request of
 * `maxBatchInputs` inputs or more goes alone, and a window of 0 (the service's default, README.md)
 * sends every request alone (no micro-batching). Added wait: at most `batchWindowMs` plus the
 * forward pass in progress.
 *
 * Failures stay per request: when a call of several requests fails, whether its worker exited or
 * the worker answered an error (one input of the wrong size fails the whole forward pass), each
 * request is sent again alone, so only a request whose own input fails (a 4xx) or kills a worker
 * (`embedder_restarting`, 503) fails. Crashes stay per worker: each worker restarts on its own
 * (embedding-worker.ts).
 */
import { AppError, NotReadyError, assert } from '@/lib/errors';
import type { DecodedImage } from '@/lib/imaging';
import { startEmbeddingWorker, type EmbeddingWorker, type FacePrepareRequest, type WorkerFace, type WorkerModel, type WorkerOptions, type WorkerState } from './embedding-worker';

/** One embed call as it leaves for a worker. */
export interface PoolBatch {
  modelVersion: string;
  /** Requests it answers. */
  requests: number;
  /** Their inputs together. */
  inputs: number;
}

/** Options of `startEmbeddingPool`. */
export interface PoolOptions extends WorkerOptions {
  /** Worker threads (at least 1); the service uses one per core (`EMBED_WORKERS`). */
  workers: number;
  /** How long the first request of a micro-batch waits for others, in ms; 0 sends each request alone (`EMBED_BATCH_WINDOW_MS`). */
  batchWindowMs: number;
  /** Most inputs one micro-batch holds; a request this large goes alone (`EMBED_BATCH_MAX_INPUTS`). */
  maxBatchInputs: number;
  /** Called as each embed call leaves for a worker (tests observe the batches). */
  onBatch?: (batch: PoolBatch) => void;
}

interface EmbedTask {
  kind: 'embed';
  modelVersion: string;
  inputs: Float32Array[];
  /** Sent alone: with a window of 0, after its batch failed, or when it alone fills a batch. */
  alone: boolean;
  resolve: (out: Float32Array[]) => void;
  reject: (err: Error) => void;
}

interface CallTask {
  kind: 'call';
  run: (worker: EmbeddingWorker) => Promise<unknown>;
  resolve: (out: unknown) => void;
  reject: (err: Error) => void;
}

type Task = EmbedTask | CallTask;

interface Slot {
  handle: EmbeddingWorker;
  busy: boolean;
}

/** Starts `workers` embedding workers (in parallel) and serves them as one `EmbeddingWorker`. */
export async function startEmbeddingPool(opts: PoolOptions): Promise<EmbeddingWorker> {
  if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new AppError('invalid_pool_size', `the embedding pool needs at least 1 worker, got ${opts.workers}`);
  assert(opts.batchWindowMs >= 0 && Number.isInteger(opts.maxBatchInputs) && opts.maxBatchInputs >= 1, `the embedding pool needs a batch window >= 0 ms and at least 1 input per batch, got ${opts.batchWindowMs} ms and ${opts.maxBatchInputs}`);
  const { batchWindowMs, maxBatchInputs } = opts;
  const started = await Promise.allSettled(Array.from({ length: opts.workers }, () => startEmbeddingWorker(opts)));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
    throw failed.reason;
  }
  const slots: Slot[] = started.map((s) => ({ handle: (s as PromiseFulfilledResult<EmbeddingWorker>).value, busy: false }));
  let queue: Task[] = [];
  let stopped = false;
  /** A restarting worker's return is awaited once to resume dispatch. */
  const awaitingReady = new Set<Slot>();
  /** The open window of each model version: its requests so far and the timer that closes it. */
  const windows = new Map<string, { tasks: EmbedTask[]; inputs: number; timer: NodeJS.Timeout }>();

  const joins = (t: Task, modelVersion: string): t is EmbedTask => t.kind === 'embed' && !t.alone && t.modelVersion === modelVersion;

  /**
   * The waiting tasks the next free worker takes: one call, or embeds of one model version up to the
   * bound. The bound shares the waiting inputs among the `idleWorkers` free workers,
   * min(maxBatchInputs, ceil(waiting / idleWorkers)), so that a burst keeps every core busy instead of
   * going to one worker while the others wait (measured: one batch per window ran 16 clients at 138
   * req/s against 185 with no batching: the 213c910 run of bench-http-batch.json, in git at ceac06d).
   */
  const takeBatch = (idleWorkers: number): Task[] => {
    const first = queue.shift()!;
    if (first.kind === 'call' || first.alone) return [first];
    const waiting = queue.reduce((n, t) => n + (joins(t, first.modelVersion) ? t.inputs.length : 0), first.inputs.length);
    const bound = Math.min(maxBatchInputs, Math.ceil(waiting / idleWorkers));
    const batch: EmbedTask[] = [first];
    let inputs = first.inputs.length;
    queue = queue.filter((t) => {
      if (!joins(t, first.modelVersion) || inputs + t.inputs.length > bound) return true;
      batch.push(t);
      inputs += t.inputs.length;
      return false;
    });
    return batch;
  };

  const runEmbeds = async (slot: Slot, batch: EmbedTask[]): Promise<void> => {
    try {
      opts.onBatch?.({ modelVersion: batch[0].modelVersion, requests: batch.length, inputs: batch.reduce((n, t) => n + t.inputs.length, 0) });
      // [sum of the requests' inputs] in, the same order out, cut back per request.
      const out = await slot.handle.embed(batch[0].modelVersion, batch.flatMap((t) => t.inputs));
      let at = 0;
      for (const t of batch) {
        t.resolve(out.slice(at, at + t.inputs.length));
        at += t.inputs.length;
      }
    } catch (err) {
      if (batch.length > 1) {
        for (const t of batch) t.alone = true;
        queue.unshift(...batch);
      } else for (const t of batch) t.reject(err as Error);
    }
  };

  const run = async (slot: Slot, batch: Task[]): Promise<void> => {
    slot.busy = true;
    try {
      if (batch[0].kind === 'call') {
        const task = batch[0];
        await task.run(slot.handle).then(task.resolve, task.reject);
      } else await runEmbeds(slot, batch as EmbedTask[]);
    } finally {
      slot.busy = false;
      pump();
    }
  };

  /** Hands waiting tasks to idle workers: ready ones first; restarting ones only when no worker is ready. */
  const pump = (): void => {
    if (stopped) return;
    while (queue.length > 0) {
      const idle = slots.filter((s) => !s.busy && s.handle.state !== 'stopped');
      const slot = idle.find((s) => s.handle.state === 'ready') ?? (slots.some((s) => s.handle.state === 'ready') ? undefined : idle[0]);
      if (!slot) break;
      void run(slot, takeBatch(idle.length));
    }
    for (const s of slots) {
      if (queue.length === 0 || s.handle.state !== 'restarting' || awaitingReady.has(s)) continue;
      awaitingReady.add(s);
      s.handle.whenReady().then(
        () => {
          awaitingReady.delete(s);
          pump();
        },
        () => awaitingReady.delete(s),
      );
    }
  };

  /** Closes the window of `modelVersion`: its requests join the queue, in arrival order. */
  const closeWindow = (modelVersion: string): void => {
    const w = windows.get(modelVersion);
    if (!w) return;
    clearTimeout(w.timer);
    windows.delete(modelVersion);
    queue.push(...w.tasks);
    pump();
  };

  /** Puts an embed request in its version's window (opening one), closing the window when it is full. */
  const gather = (task: EmbedTask): void => {
    const open = windows.get(task.modelVersion);
    if (open && open.inputs + task.inputs.length > maxBatchInputs) closeWindow(task.modelVersion);
    let w = windows.get(task.modelVersion);
    if (!w) {
      w = { tasks: [], inputs: 0, timer: setTimeout(() => closeWindow(task.modelVersion), batchWindowMs) };
      windows.set(task.modelVersion, w);
    }
    w.tasks.push(task);
    w.inputs += task.inputs.length;
    if (w.inputs >= maxBatchInputs) closeWindow(task.modelVersion);
  };

  const submit = <T>(task: Omit<EmbedTask, 'resolve' | 'reject'> | Omit<CallTask, 'resolve' | 'reject'>): Promise<T> => {
    if (stopped) return Promise.reject(new NotReadyError('embedder_stopped', 'the embedding worker was stopped'));
    return new Promise<T>((resolve, reject) => {
      const t = { ...task, resolve, reject } as Task;
      if (t.kind === 'embed' && !t.alone && !(queue.length === 0 && !windows.has(t.modelVersion) && slots.some((s) => !s.busy && s.handle.state === 'ready'))) gather(t);
      else {
        queue.push(t);
        pump();
      }
    });
  };

  const call = <T>(run: (w: EmbeddingWorker) => Promise<T>): Promise<T> => submit<T>({ kind: 'call', run });

  return {
    backend: slots[0].handle.backend,
    get state(): WorkerState {
      if (stopped) return 'stopped';
      return slots.every((s) => s.handle.state === 'ready') ? 'ready' : 'restarting';
    },
    get restarts() {
      return slots.reduce((n, s) => n + s.handle.restarts, 0);
    },
    embed(modelVersion: string, inputs: Float32Array[]) {
      if (inputs.length === 0) return Promise.resolve([]);
      return submit<Float32Array[]>({ kind: 'embed', modelVersion, inputs, alone: batchWindowMs === 0 || inputs.length >= maxBatchInputs });
    },
    embedWithFeatures(modelVersion: string, inputs: Float32Array[]) {
      return call((w) => w.embedWithFeatures(modelVersion, inputs));
    },
    prepareFaces(modelVersion: string, image: DecodedImage, options: FacePrepareRequest) {
      return call<WorkerFace[]>((w) => w.prepareFaces(modelVersion, image, options));
    },
    async load(model: WorkerModel) {
      // Every worker loads it (each queues it behind its task in progress); a restarted one loads it again.
      await Promise.all(slots.map((s) => s.handle.load(model)));
    },
    async debugMemory() {
      const all = await Promise.all(slots.map((s) => s.handle.debugMemory()));
      return { numTensors: all.reduce((n, m) => n + m.numTensors, 0), numBytes: all.reduce((n, m) => n + m.numBytes, 0) };
    },
    async debugKill() {
      // The worker handling the oldest task in progress, else the first: one crash.
      await (slots.find((s) => s.busy) ?? slots[0]).handle.debugKill();
    },
    async whenReady() {
      await Promise.all(slots.map((s) => s.handle.whenReady()));
    },
    async close() {
      stopped = true;
      const stoppedErr = new NotReadyError('embedder_stopped', 'the embedding worker was stopped');
      for (const w of windows.values()) clearTimeout(w.timer);
      for (const t of [...queue, ...[...windows.values()].flatMap((w) => w.tasks)]) t.reject(stoppedErr);
      queue = [];
      windows.clear();
      await Promise.all(slots.map((s) => s.handle.close()));
    },
  };
}
