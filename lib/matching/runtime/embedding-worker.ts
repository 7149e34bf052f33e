/**
 * Embedding off the request thread: a `worker_threads` worker runs TF.js and the models, so
 * health checks and logins stay responsive while a large enrolment embeds. The service runs one per
 * core (embedding-pool.ts: TF.js wasm computes on one thread); requests queue in each worker in arrival order.
 */
import { Worker } from 'node:worker_threads';
import { entryLaunch, type EntryLaunch } from '@/lib/config/entry-points';
import type { BackendChoice, BackendName } from '@/lib/embedder/backend';
import type { InferenceChoice } from '@/lib/embedder/weights';
import { AppError, InputError, NotReadyError } from '@/lib/errors';
import type { Box, DecodedImage } from '@/lib/imaging';

/** A model the worker loads: its version and folder. */
export interface WorkerModel {
  /** Model version (the manifest's `version`). */
  version: string;
  /** Model folder (manifest.json, model.json, weights.bin; face models: face.json). */
  dir: string;
  /** `face` loads the face model (face-api nets with pinned hashes, plus the head); default `object`. */
  kind?: 'object' | 'face';
}

/** Options of a face preparation in the worker. */
export interface FacePrepareRequest {
  /** Detection mode (lib/faces `DetectMode`). */
  detect: 'auto' | 'always' | 'never';
  /** enroll: the largest face; search: every face scoring the face model's `minScore` or more. */
  purpose: 'enroll' | 'search';
}

/** One face the worker found: box (null: whole image), raw descriptor (null: refused face), verdict codes. */
export interface WorkerFace {
  box: Box | null;
  descriptor: Float32Array | null;
  verdicts: string[];
}

/** Data the worker starts with. */
export interface WorkerData {
  backend: BackendChoice;
  inference: InferenceChoice;
  models: WorkerModel[];
}

/** Messages to the worker. */
export type WorkerRequest =
  | { id: number; type: 'embed'; modelVersion: string; inputs: Float32Array[]; features?: boolean }
  | { id: number; type: 'prepareFaces'; modelVersion: string; image: DecodedImage; options: FacePrepareRequest }
  | { id: number; type: 'load'; model: WorkerModel }
  | { id: number; type: 'debugMemory' };

/**
 * Asks the worker to exit with `code` at its next turn of the event loop, without a reply. A worker
 * is never terminated from outside while it runs: `Worker.terminate()` during a synchronous
 * onnxruntime-node `run()` aborts the whole process (`terminate called after throwing an instance of
 * 'Napi::Error'`), because the binding's result can no longer reach a terminating thread. Between
 * two turns of its loop the worker is in no native call.
 */
export interface WorkerExit {
  type: 'exit';
  code: number;
}

/** Messages from the worker (id 0: start-up). */
export type WorkerReply =
  | { id: number; type: 'ready'; backend: BackendName }
  | { id: number; type: 'embeddings'; embeddings: Float32Array[]; features?: Float32Array[] }
  | { id: number; type: 'faces'; faces: WorkerFace[] }
  | { id: number; type: 'memory'; numTensors: number; numBytes: number }
  | { id: number; type: 'loaded'; version: string }
  | { id: number; type: 'error'; code: string; message: string };

/** TF.js memory of the worker, for leak tests. */
export interface WorkerMemory {
  /** Live tensors in the worker's TF.js engine. */
  numTensors: number;
  /** Bytes held by those tensors. */
  numBytes: number;
}

/** State of the worker: `restarting` from an unexpected exit until the new worker is ready. */
export type WorkerState = 'ready' | 'restarting' | 'stopped';

/** Embeddings of a worker call and, when asked of a photo model, its backbone features (else null). */
export interface WorkerEmbedded {
  embeddings: Float32Array[];
  features: Float32Array[] | null;
}

/** Embeds preprocessed model inputs in the worker thread. */
export interface EmbeddingWorker {
  /** The TF.js backend the worker runs (the one `auto` chose there). */
  readonly backend: BackendName;
  /** `restarting` while a worker that exited is being replaced (health answers `degraded`). */
  readonly state: WorkerState;
  /** Unexpected worker exits since the first start. */
  readonly restarts: number;
  /** L2-normalised embeddings of `inputs` under `modelVersion`, in order. */
  embed(modelVersion: string, inputs: Float32Array[]): Promise<Float32Array[]>;
  /**
   * `embed`, with the photo backbone's features of each input (a photo model), else null features:
   * enrolment keeps them for a retrain (lib/matching/images.ts). Sent alone, never micro-batched.
   */
  embedWithFeatures(modelVersion: string, inputs: Float32Array[]): Promise<WorkerEmbedded>;
  /**
   * Detects, judges, aligns and describes the faces of a decoded image with the face model
   * `modelVersion` (lib/faces `prepareFaces`, in the worker). Refusals reject with an `InputError`
   * coded `no_face`, `face_too_small` or `low_score`.
   */
  prepareFaces(modelVersion: string, image: DecodedImage, options: FacePrepareRequest): Promise<WorkerFace[]>;
  /** Loads one more model into the worker (a no-op when its version is loaded); a restarted worker loads it again. */
  load(model: WorkerModel): Promise<void>;
  /** The worker's `tf.memory()` counters. */
  debugMemory(): Promise<WorkerMemory>;
  /**
   * Makes the worker exit with code 1 as a crash would (tests): at its next turn of the event loop, so
   * mid-request between two batches; the request in flight fails, the handle restarts the worker.
   */
  debugKill(): Promise<void>;
  /** Resolves when a worker is ready (at once when it is); rejects once the handle is closed. */
  whenReady(): Promise<void>;
  /** Stops the worker; pending requests fail with `embedder_stopped`. */
  close(): Promise<void>;
}

/** Options of `startEmbeddingWorker`. */
export interface WorkerOptions {
  /** TF.js backend for the worker (`auto`: tfjs-node where it loads, else wasm). */
  backend: BackendChoice;
  /** Inference runtime of the object models (`auto`: ONNX Runtime where it can run the model, else TF.js). */
  inference: InferenceChoice;
  /** Models to load. */
  models: WorkerModel[];
}

/** Longest wait between failed restarts; the wait doubles from 1 s up to this. */
const MAX_RESTART_DELAY_MS = 30_000;

/** How long a running worker gets to exit when asked (one ONNX Runtime batch of photos takes seconds) before it is terminated. */
const EXIT_GRACE_MS = 30_000;

type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

/** One request: `build` makes its message afresh for each send (transferred buffers detach). */
interface Job {
  build: () => { msg: RequestBody; transfer: ArrayBuffer[] };
  resolve: (reply: WorkerReply) => void;
  reject: (err: Error) => void;
  /** Sent again after a worker exit once already; a second exit fails it. */
  retried: boolean;
}

function restarting(what: string): NotReadyError {
  return new NotReadyError('embedder_restarting', `${what}; the embedding worker is restarting, retry after the Retry-After delay`);
}

/** Starts one worker thread and waits until its models are loaded. */
async function spawnWorker(data: WorkerData, launch: EntryLaunch): Promise<{ worker: Worker; backend: BackendName }> {
  const worker = new Worker(launch.script, { argv: launch.argv, workerData: data });
  const started = new Promise<BackendName>((resolve, reject) => {
    const onStart = (msg: WorkerReply): void => {
      if (msg.id !== 0) return;
      worker.off('message', onStart);
      if (msg.type === 'ready') resolve(msg.backend);
      else reject(toError(msg.type === 'error' ? msg : { code: 'embedder_failed', message: 'unexpected start message' }));
    };
    worker.on('message', onStart);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new NotReadyError('embedder_failed', `embedding worker exited with code ${code} while starting`)));
  });
  const backend = await started.catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  return { worker, backend };
}

/**
 * Stops a running worker at a turn of its event loop (`WorkerExit`), and terminates it only when it
 * does not exit within `EXIT_GRACE_MS` (a worker stuck in one call).
 */
function stopWorker(w: Worker, code: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      console.error(`[embedder] the worker did not exit within ${EXIT_GRACE_MS} ms of being asked; terminating it`);
      void w.terminate().then(() => resolve());
    }, EXIT_GRACE_MS);
    w.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    w.postMessage({ type: 'exit', code } satisfies WorkerExit);
  });
}

/**
 * Starts the worker and waits until its models are loaded. When the worker exits unexpectedly
 * (issue 16: a 36 MP image aborted TF.js wasm), the request it was handling fails with
 * `embedder_restarting` (503, Retry-After), the requests queued behind it are sent once more to a
 * new worker, and new requests wait for that worker.
 */
export async function startEmbeddingWorker(opts: WorkerOptions): Promise<EmbeddingWorker> {
  // The bundle dist/embedding-thread.mjs under `npm start`, the source elsewhere.
  const launch = entryLaunch('embedding-thread');
  const models = new Map(opts.models.map((m) => [m.version, m]));
  const workerData = (): WorkerData => ({ backend: opts.backend, inference: opts.inference, models: [...models.values()] });
  const first = await spawnWorker(workerData(), launch);
  let worker: Worker | null = null;
  let state: WorkerState = 'ready';
  let restarts = 0;
  let nextId = 1;
  /** Sent to the current worker, in order: the first is the one it is handling. */
  const sent = new Map<number, Job>();
  /** Waiting for a worker. */
  let queue: Job[] = [];
  let waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];

  const send = (job: Job): void => {
    const id = nextId++;
    const { msg, transfer } = job.build();
    sent.set(id, job);
    worker!.postMessage({ ...msg, id }, transfer);
  };
  const attach = (w: Worker): void => {
    worker = w;
    state = 'ready';
    w.on('message', (msg: WorkerReply) => {
      const job = sent.get(msg.id);
      if (!job) return;
      sent.delete(msg.id);
      if (msg.type === 'error') job.reject(toError(msg));
      else job.resolve(msg);
    });
    w.on('error', (err) => console.error(`[embedder] worker crashed: ${err.message}`));
    w.on('exit', (code) => onExit(w, code));
    const waiting = queue;
    queue = [];
    for (const job of waiting) send(job);
    for (const w2 of waiters) w2.resolve();
    waiters = [];
  };
  const onExit = (w: Worker, code: number): void => {
    if (worker !== w || state === 'stopped') return;
    worker = null;
    state = 'restarting';
    restarts++;
    console.error(`[embedder] worker exited with code ${code} (${sent.size} request(s) pending); restarting it`);
    const [inFlight, ...behind] = sent.values();
    sent.clear();
    inFlight?.reject(restarting(`the embedding worker exited with code ${code} while handling this request`));
    for (const job of behind) {
      if (job.retried) job.reject(restarting(`the embedding worker exited twice while this request waited`));
      else queue.push({ ...job, retried: true });
    }
    void restart(1000);
  };
  const restart = async (delayMs: number): Promise<void> => {
    try {
      const next = await spawnWorker(workerData(), launch);
      if (state === 'stopped') await stopWorker(next.worker, 0);
      else attach(next.worker);
    } catch (err) {
      if (state === 'stopped') return;
      console.error(`[embedder] restart failed: ${(err as Error).message}; next try in ${delayMs} ms`);
      const failed = queue;
      queue = [];
      for (const job of failed) job.reject(restarting('the embedding worker failed to restart'));
      setTimeout(() => void restart(Math.min(delayMs * 2, MAX_RESTART_DELAY_MS)), delayMs).unref();
    }
  };
  attach(first.worker);

  const request = (build: Job['build']): Promise<WorkerReply> => {
    if (state === 'stopped') return Promise.reject(new NotReadyError('embedder_stopped', 'the embedding worker was stopped'));
    return new Promise((resolve, reject) => {
      const job: Job = { build, resolve, reject, retried: false };
      if (state === 'ready') send(job);
      else queue.push(job);
    });
  };
  const unexpected = (reply: WorkerReply, what: string): AppError => new AppError('embedder_failed', `embedding worker answered ${reply.type} to ${what}`);
  const embedInputs = async (modelVersion: string, inputs: Float32Array[], features: boolean): Promise<WorkerEmbedded> => {
    if (inputs.length === 0) return { embeddings: [], features: features ? [] : null };
    const reply = await request(() => {
      // Copies, so transferring the buffers never detaches the caller's arrays (and a retry can copy again).
      const copies = inputs.map((x) => Float32Array.from(x));
      return { msg: { type: 'embed', modelVersion, inputs: copies, features }, transfer: copies.map((c) => c.buffer) };
    });
    if (reply.type !== 'embeddings' || reply.embeddings.length !== inputs.length || (reply.features && reply.features.length !== inputs.length)) throw unexpected(reply, `embed ${inputs.length} inputs`);
    return { embeddings: reply.embeddings, features: reply.features ?? null };
  };

  return {
    backend: first.backend,
    get state() {
      return state;
    },
    get restarts() {
      return restarts;
    },
    async embed(modelVersion, inputs) {
      return (await embedInputs(modelVersion, inputs, false)).embeddings;
    },
    embedWithFeatures: (modelVersion, inputs) => embedInputs(modelVersion, inputs, true),
    async prepareFaces(modelVersion, image, options) {
      const reply = await request(() => ({ msg: { type: 'prepareFaces', modelVersion, image, options }, transfer: [] }));
      if (reply.type !== 'faces') throw unexpected(reply, 'prepareFaces');
      return reply.faces;
    },
    async load(model) {
      const reply = await request(() => ({ msg: { type: 'load', model }, transfer: [] }));
      if (reply.type !== 'loaded') throw unexpected(reply, 'load');
      models.set(model.version, model);
    },
    async debugMemory() {
      const reply = await request(() => ({ msg: { type: 'debugMemory' }, transfer: [] }));
      if (reply.type !== 'memory') throw unexpected(reply, 'debugMemory');
      return { numTensors: reply.numTensors, numBytes: reply.numBytes };
    },
    async debugKill() {
      if (worker) await stopWorker(worker, 1);
    },
    whenReady() {
      if (state === 'ready') return Promise.resolve();
      if (state === 'stopped') return Promise.reject(new NotReadyError('embedder_stopped', 'the embedding worker was stopped'));
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    async close() {
      state = 'stopped';
      const stopped = new NotReadyError('embedder_stopped', 'the embedding worker was stopped');
      for (const job of [...sent.values(), ...queue]) job.reject(stopped);
      for (const w of waiters) w.reject(stopped);
      sent.clear();
      queue = [];
      waiters = [];
      if (worker) await stopWorker(worker, 0);
    },
  };
}

/** Codes the worker answers that are the caller's input's fault (face refusals included). */
const INPUT_CODES = new Set(['embedding_dim_mismatch', 'invalid_manifest', 'no_face', 'face_too_small', 'low_score']);

function toError(msg: { code: string; message: string }): Error {
  if (INPUT_CODES.has(msg.code)) return new InputError(msg.code, msg.message);
  if (msg.code === 'model_not_loaded' || msg.code === 'model_not_found' || msg.code.startsWith('backend_') || msg.code.startsWith('face_weights_')) {
    return new NotReadyError(msg.code, msg.message);
  }
  return new AppError(msg.code, msg.message);
}
