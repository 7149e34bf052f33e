/**
 * The one owner of ONNX Runtime (`onnxruntime-node`, its CPU binaries inside the package): every
 * import of it lives here. Inference of exported towers (./onnx-export.ts) runs through it; TF.js
 * (./backend.ts) stays the training runtime and the fallback where this runtime does not load.
 */
import { createRequire } from 'node:module';
import { NotReadyError } from '@/lib/errors';
import type { InferenceChoice } from './weights';

/** The parts of `onnxruntime-node` this project uses. */
type Ort = typeof import('onnxruntime-node');

const ORT = 'onnxruntime-node';
const requireFromHere = createRequire(import.meta.url);
let ort: Ort | undefined;

/**
 * Loads ONNX Runtime once per process (a native addon: a missing or broken install is a caught
 * error here, never a build failure). Throws `onnx_unavailable` naming the cause.
 */
function loadOrt(): Ort {
  if (ort) return ort;
  try {
    const name = ORT;
    ort = requireFromHere(/* turbopackIgnore: true */ name) as Ort;
    return ort;
  } catch (e) {
    throw new NotReadyError('onnx_unavailable', `${ORT} did not load: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Version of the loaded ONNX Runtime, e.g. `onnxruntime-node 1.30.0`. */
export function onnxRuntimeVersion(): string {
  return `${ORT} ${loadOrt().env.versions.node}`;
}

/** One inference session over an `.onnx` model with one float32 input and one output. */
export interface OnnxSession {
  /** Runs the model on `input` of shape `dims`; returns the output's values, row-major. */
  run(input: Float32Array, dims: readonly number[]): Promise<Float32Array>;
  /** Runs the model on `input`; returns every graph output's values, in the graph's output order. */
  runAll(input: Float32Array, dims: readonly number[]): Promise<Float32Array[]>;
  /** Frees the session. */
  release(): Promise<void>;
}

/** Options of `openOnnxSession`. */
export interface OnnxSessionOptions {
  /** The graph's input name, and the output `run` returns. */
  inputName: string;
  outputName: string;
  /**
   * Intra-op threads (default 1). Parallelism across cores comes from running several embedding
   * workers; on this 2-core machine under load, one thread embedded the default object model at
   * batch 64 faster than two spinning ones (348-521 against 220-292 images/s, load 14, 2026-12-05;
   * a one-off side-by-side script, not the bench).
   */
  threads?: number;
}

/**
 * Opens a session over model bytes; throws `onnx_unavailable` when the runtime does not load and
 * `onnx_session_failed` when it refuses the model.
 */
export async function openOnnxSession(bytes: Uint8Array, { inputName, outputName, threads = 1 }: OnnxSessionOptions): Promise<OnnxSession> {
  const rt = loadOrt();
  let session: Awaited<ReturnType<Ort['InferenceSession']['create']>>;
  try {
    session = await rt.InferenceSession.create(bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Idle pool threads sleep rather than spin: the cores are shared with the request thread.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
  } catch (e) {
    throw new NotReadyError('onnx_session_failed', `ONNX Runtime refused the model: ${(e as Error).message.split('\n')[0]}`);
  }
  return {
    async run(input, dims) {
      const out = await session.run({ [inputName]: new rt.Tensor('float32', input, [...dims]) });
      return out[outputName].data as Float32Array;
    },
    async runAll(input, dims) {
      const out = await session.run({ [inputName]: new rt.Tensor('float32', input, [...dims]) });
      return session.outputNames.map((name) => out[name].data as Float32Array);
    },
    release: () => session.release(),
  };
}

/**
 * What runs on ONNX Runtime as `inference` asks: null for `tfjs`; `open()` for `onnx`, its errors
 * thrown; for `auto`, `open()`, or null with one log line `<who>: ONNX Runtime cannot run it (code:
 * message); <fallback>` where it throws a NotReadyError (the runtime does not load, refuses the
 * model, or the network does not export). Null means the caller runs the network on TF.js.
 */
export async function onnxUnlessFallback<T>(inference: InferenceChoice, open: () => Promise<T>, who: string, fallback: string): Promise<T | null> {
  if (inference === 'tfjs') return null;
  try {
    return await open();
  } catch (e) {
    if (inference === 'onnx' || !(e instanceof NotReadyError)) throw e;
    console.warn(`${who}: ONNX Runtime cannot run it (${e.code}: ${e.message}); ${fallback}`);
    return null;
  }
}
