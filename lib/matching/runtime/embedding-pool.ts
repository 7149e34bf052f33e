/**
 * The embedding pool (issue 20: both cores busy): `workers` embedding workers
 * (embedding-worker.ts), each handed one task at a time, so TF.js wasm (one thread per worker)
 * computes on every core while the request thread stays free for health, auth and the UI.
 *
 * Micro-batching: a request that finds a worker idle is sent at once (no added wait at one
 * client); requests that arrive while every worker is busy wait in one queue, and the worker that
 * frees up first takes the oldest one together with the waiting requests of the same model
 * version, up to `MAX_BATCH_INPUTS` inputs, as one call. The batch grows with the load and is
 * bounded, and waiting is never longer than the forward pass in progress.
 *
 * Crashes stay per worker: each worker restarts on its own (embedding-worker.ts). A worker that
 * exits while embedding a batch of several requests fails none of them: each is sent again alone,
 * so only a request whose own input kills a worker fails (`embedder_restarting`, 503).
 */
import { AppError, NotReadyError } from '@/lib/errors';
import type { DecodedImage } from '@/lib/imaging';
import { startEmbeddingWorker, type EmbeddingWorker, type FacePrepareRequest, type WorkerFace, type WorkerModel, type WorkerOptions, type WorkerState } from './embedding-worker';

/**
 * Most inputs one micro-batch gathers: the batch size at which the bench measures embedding
 * throughput (issue 20: batch-64 throughput reachable from HTTP). A larger single request goes alone.
 */
const MAX_BATCH_INPUTS = 64;

/** Options of `startEmbeddingPool`. */
export interface PoolOptions extends WorkerOptions {
  /** Worker threads (at least 1); the service uses one per core (`EMBED_WORKERS`). */
  workers: number;
}

interface EmbedTask {
  kind: 'embed';
  modelVersion: string;
  inputs: Float32Array[];
  /** Sent alone: after its batch's worker exited, or when it alone fills a batch. */
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

/** A worker exit answered the call (the handle restarts the worker), as opposed to a model error. */
const isExit = (err: unknown): boolean => err instanceof NotReadyError && err.code === 'embedder_restarting';

/** Starts `workers` embedding workers (in parallel) and serves them as one `EmbeddingWorker`. */
export async function startEmbeddingPool(opts: PoolOptions): Promise<EmbeddingWorker> {
  if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new AppError('invalid_pool_size', `the embedding pool needs at least 1 worker, got ${opts.workers}`);
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

  /** The waiting tasks the next free worker takes: one call, or embeds of one model version up to the bound. */
  const takeBatch = (): Task[] => {
    const first = queue.shift()!;
    if (first.kind === 'call' || first.alone) return [first];
    const batch: EmbedTask[] = [first];
    let inputs = first.inputs.length;
    queue = queue.filter((t) => {
      if (t.kind !== 'embed' || t.alone || t.modelVersion !== first.modelVersion || inputs + t.inputs.length > MAX_BATCH_INPUTS) return true;
      batch.push(t);
      inputs += t.inputs.length;
      return false;
    });
    return batch;
  };

  const runEmbeds = async (slot: Slot, batch: EmbedTask[]): Promise<void> => {
    try {
      // [sum of the requests' inputs] in, the same order out, cut back per request.
      const out = await slot.handle.embed(batch[0].modelVersion, batch.flatMap((t) => t.inputs));
      let at = 0;
      for (const t of batch) {
        t.resolve(out.slice(at, at + t.inputs.length));
        at += t.inputs.length;
      }
    } catch (err) {
      if (batch.length > 1 && isExit(err)) {
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
      void run(slot, takeBatch());
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

  const submit = <T>(task: Omit<EmbedTask, 'resolve' | 'reject'> | Omit<CallTask, 'resolve' | 'reject'>): Promise<T> => {
    if (stopped) return Promise.reject(new NotReadyError('embedder_stopped', 'the embedding worker was stopped'));
    return new Promise<T>((resolve, reject) => {
      queue.push({ ...task, resolve, reject } as Task);
      pump();
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
      return submit<Float32Array[]>({ kind: 'embed', modelVersion, inputs, alone: inputs.length >= MAX_BATCH_INPUTS });
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
      for (const t of queue) t.reject(stoppedErr);
      queue = [];
      await Promise.all(slots.map((s) => s.handle.close()));
    },
  };
}
