/**
 * Embedding off the request thread: one `worker_threads` worker runs TF.js and the models, so
 * health checks and logins stay responsive while a large enrolment embeds. One worker suffices on
 * 2 cores (TF.js wasm computes on one thread); requests queue in the worker in arrival order.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BackendChoice, BackendName } from '@/lib/embedder/backend';
import { AppError, InputError, NotReadyError } from '@/lib/errors';
import type { Box, DecodedImage } from '@/lib/imaging';

/** A model the worker loads: its version and folder. */
export interface PoolModel {
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
  /** enroll: the largest face; search: every confident face. */
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
  models: PoolModel[];
  entry: string;
  tsconfig: string;
}

/** Messages to the worker. */
export type WorkerRequest =
  | { id: number; type: 'embed'; modelVersion: string; inputs: Float32Array[] }
  | { id: number; type: 'prepareFaces'; modelVersion: string; image: DecodedImage; options: FacePrepareRequest }
  | { id: number; type: 'load'; model: PoolModel }
  | { id: number; type: 'debugMemory' };

/** Messages from the worker (id 0: start-up). */
export type WorkerReply =
  | { id: number; type: 'ready'; backend: BackendName }
  | { id: number; type: 'embeddings'; embeddings: Float32Array[] }
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

/** Embeds preprocessed model inputs in the worker thread. */
export interface EmbeddingPool {
  /** The TF.js backend the worker runs (the one `auto` chose there). */
  readonly backend: BackendName;
  /** L2-normalised embeddings of `inputs` under `modelVersion`, in order. */
  embed(modelVersion: string, inputs: Float32Array[]): Promise<Float32Array[]>;
  /**
   * Detects, judges, aligns and describes the faces of a decoded image with the face model
   * `modelVersion` (lib/faces `prepareFaces`, in the worker). Refusals reject with an `InputError`
   * coded `no_face`, `face_too_small` or `low_score`.
   */
  prepareFaces(modelVersion: string, image: DecodedImage, options: FacePrepareRequest): Promise<WorkerFace[]>;
  /** Loads one more model into the worker (a no-op when its version is loaded). */
  load(model: PoolModel): Promise<void>;
  /** The worker's `tf.memory()` counters. */
  debugMemory(): Promise<WorkerMemory>;
  /** Stops the worker; pending requests fail with `embedder_stopped`. */
  close(): Promise<void>;
}

/** Options of `startEmbeddingPool`. */
export interface PoolOptions {
  /** TF.js backend for the worker (`auto`: tfjs-node where it loads, else wasm). */
  backend: BackendChoice;
  /** Models to load. */
  models: PoolModel[];
  /** Repository root (holds tsconfig.json and lib/); default `process.cwd()`. */
  root?: string;
}

type Pending = { resolve: (reply: WorkerReply) => void; reject: (err: Error) => void };

/** Starts the worker and waits until its models are loaded. */
export async function startEmbeddingPool(opts: PoolOptions): Promise<EmbeddingPool> {
  const root = opts.root ?? process.cwd();
  // Resolved from the repository root at run time, never bundled: the worker loads the sources through tsx.
  const dir = path.join(/*turbopackIgnore: true*/ root, 'lib', 'matching');
  const data: WorkerData = {
    backend: opts.backend,
    models: opts.models,
    entry: path.join(dir, 'embedding-worker-main.ts'),
    tsconfig: path.join(root, 'tsconfig.json'),
  };
  // Turbopack follows `new Worker(path)` and bundles the worker's imports (tsx, esbuild's binary);
  // a reflective construction keeps the worker out of the server bundle, as intended.
  const worker: Worker = Reflect.construct(Worker, [path.join(dir, 'embedding-worker.mjs'), { workerData: data }]);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let failure: Error | null = null;

  const failAll = (err: Error): void => {
    failure = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  const backend = await new Promise<BackendName>((resolve, reject) => {
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
  worker.on('message', (msg: WorkerReply) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.type === 'error') p.reject(toError(msg));
    else p.resolve(msg);
  });
  worker.on('error', (err) => failAll(new NotReadyError('embedder_failed', `embedding worker crashed: ${err.message}; restart the service`)));
  worker.on('exit', (code) => failAll(new NotReadyError('embedder_stopped', `embedding worker exited with code ${code}`)));

  const request = (req: WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never, transfer: ArrayBuffer[] = []): Promise<WorkerReply> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...req, id }, transfer);
    });
  };

  return {
    backend,
    async embed(modelVersion, inputs) {
      if (inputs.length === 0) return [];
      // Copies, so transferring the buffers never detaches the caller's arrays.
      const copies = inputs.map((x) => Float32Array.from(x));
      const reply = await request({ type: 'embed', modelVersion, inputs: copies }, copies.map((c) => c.buffer));
      if (reply.type !== 'embeddings' || reply.embeddings.length !== inputs.length) {
        throw new AppError('embedder_failed', `embedding worker answered ${reply.type} for ${inputs.length} inputs`);
      }
      return reply.embeddings;
    },
    async prepareFaces(modelVersion, image, options) {
      const reply = await request({ type: 'prepareFaces', modelVersion, image, options });
      if (reply.type !== 'faces') throw new AppError('embedder_failed', `embedding worker answered ${reply.type} to prepareFaces`);
      return reply.faces;
    },
    async load(model) {
      const reply = await request({ type: 'load', model });
      if (reply.type !== 'loaded') throw new AppError('embedder_failed', `embedding worker answered ${reply.type} to load`);
    },
    async debugMemory() {
      const reply = await request({ type: 'debugMemory' });
      if (reply.type !== 'memory') throw new AppError('embedder_failed', `embedding worker answered ${reply.type} to debugMemory`);
      return { numTensors: reply.numTensors, numBytes: reply.numBytes };
    },
    async close() {
      failure ??= new NotReadyError('embedder_stopped', 'the embedding worker was stopped');
      await worker.terminate();
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
