/**
 * The one owner of TF.js: every `@tensorflow/*` import in the project lives here. Other modules
 * take `Tf` from `initTf()`/`getTf()` and import tensor types from this file.
 *
 * The backend is picked once per process from an ordered list (STYLE.md section 6):
 *   1. `tensorflow`: @tensorflow/tfjs-node (libtensorflow, multi-threaded), when it loads. It is an
 *      optional dependency that needs `npm run build:tfjs-node` (scripts/build-tfjs-node.sh) offline;
 *      training on it runs beside PyTorch (bench section 3; ./tensorflow-kernels, `InitOptions.onednn`).
 *   2. `wasm`: @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD, one thread in Node), always installed.
 *      It lacks some gradient kernels; `./wasm-kernels` registers them.
 * `cpu` (plain JS) is never chosen: it is far slower and serves only as the tests' reference.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { ConflictError, NotReadyError, assert } from '@/lib/errors';
import { registerTensorflowTrainingKernels } from './tensorflow-kernels';
import { registerWasmGradKernels } from './wasm-kernels';

/** The TF.js union package (core + layers + converter), shared by every TF.js user. */
export type Tf = typeof tfjs;
/** A backend this project runs on. */
export type BackendName = 'tensorflow' | 'wasm';
/** What a caller may ask for: `auto` walks the ordered list. */
export type BackendChoice = 'auto' | BackendName;

/** Re-exported TF.js types, so no other module imports `@tensorflow/*`. */
export type {
  LayersModel,
  NamedTensorMap,
  Rank,
  Scalar,
  Sequential,
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Tensor4D,
  TensorInfo,
  Variable,
  io,
} from '@tensorflow/tfjs';

/** What the health endpoint reports about the ML runtime. */
export type BackendInfo = {
  /** The active backend. */
  backend: BackendName;
  /** Versions of the packages doing the math, e.g. `tfjs-node 4.22.0, libtensorflow 2.21.0`. */
  version: string;
  /** Threads the backend computes with, when known (wasm runs one thread in Node). */
  threads?: number;
};

type Active = { tf: Tf; backend: BackendName; reason: string };

const BACKEND_ORDER: readonly BackendName[] = ['tensorflow', 'wasm'];
const TFJS_NODE = '@tensorflow/tfjs-node';
const TFJS_WASM = '@tensorflow/tfjs-backend-wasm';
const BUILD_HINT = 'run `npm run build:tfjs-node` (scripts/build-tfjs-node.sh), or use the wasm backend';

// createRequire keeps tfjs-node optional: a missing module is a caught error at run time, not a
// build failure, and the packages stay Node-resolved under tsx, vitest and Next's server
// (they are serverExternalPackages there, never bundled).
const requireFromHere = createRequire(import.meta.url);

/**
 * Requires tfjs-node by a name the bundler cannot follow: it is an optional dependency that is
 * absent after a plain `npm ci`, and Turbopack fails the build on a static require it cannot resolve.
 */
function requireTfjsNode(): unknown {
  const name = TFJS_NODE;
  return requireFromHere(/* turbopackIgnore: true */ name);
}

let active: Active | undefined;
let pending: Promise<Active> | undefined;

/** Options of `initTf`, read by the call that starts the backend (the first of the process). */
export type InitOptions = {
  /**
   * oneDNN in libtensorflow (the `tensorflow` backend only; read once, when the library loads). Off
   * by default: oneDNN crashes (SIGFPE) on one of face-api's SSD convolutions. Processes that train
   * image towers and run no face-api net turn it on: it makes the default tower's training step
   * about 1.45x faster (bench section 3).
   */
  onednn?: boolean;
};

/**
 * Picks and initialises the TF.js backend once per process; later calls return the same result.
 * Throws `backend_mismatch` when asked for a backend other than the active one, and
 * `backend_unavailable` when an explicitly requested backend cannot start.
 */
export async function initTf(choice: BackendChoice = 'auto', { onednn = false }: InitOptions = {}): Promise<{ tf: Tf; backend: BackendName }> {
  if (!active) {
    pending ??= selectBackend(choice, onednn).finally(() => {
      pending = undefined;
    });
    active = await pending;
  }
  if (choice !== 'auto' && choice !== active.backend) {
    throw new ConflictError(
      'backend_mismatch',
      `TF.js backend '${choice}' requested, but '${active.backend}' is already active in this process ` +
        `(${active.reason}); the backend is chosen once at startup, so request 'auto' or '${active.backend}'`,
      { requested: choice, active: active.backend },
    );
  }
  return { tf: active.tf, backend: active.backend };
}

/** The initialised TF.js namespace; throws `tf_not_initialised` before `initTf()` has finished. */
export function getTf(): Tf {
  return requireActive().tf;
}

/** Backend, versions and threads of the active runtime, for the health endpoint. */
export function backendInfo(): BackendInfo {
  const { tf, backend } = requireActive();
  if (backend === 'wasm') {
    return { backend, version: `tfjs-core ${tf.version_core}, tfjs-backend-wasm ${version_wasm}`, threads: getThreadsCount() };
  }
  const node = requireTfjsNode() as { version: Record<string, string> };
  // The native binding reports the libtensorflow it was linked against.
  const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
  const lib = binding?.TF_Version ? `, libtensorflow ${binding.TF_Version}` : '';
  return { backend, version: `tfjs-core ${tf.version_core}, tfjs-node ${node.version['tfjs-node']}${lib}` };
}

function requireActive(): Active {
  if (!active) {
    throw new NotReadyError('tf_not_initialised', 'TF.js is not initialised; await initTf() at startup before using it');
  }
  return active;
}

async function selectBackend(choice: BackendChoice, onednn: boolean): Promise<Active> {
  const candidates = choice === 'auto' ? BACKEND_ORDER : [choice];
  const skipped: string[] = [];
  for (const backend of candidates) {
    const failure = backend === 'tensorflow' ? await startTensorflow(onednn) : await startWasm();
    if (failure === undefined) {
      const reason = `${choice === 'auto' ? `auto${skipped.length ? `; ${skipped.join('; ')}` : ''}` : 'requested'}${backend === 'tensorflow' ? `; oneDNN ${onednn ? 'on' : 'off'}` : ''}`;
      console.info(`[ml] TF.js backend: ${backend} (${reason})`);
      return { tf: tfjs, backend, reason };
    }
    if (choice !== 'auto') {
      throw new NotReadyError('backend_unavailable', `TF.js backend '${backend}' was requested but ${failure}; ${
        backend === 'tensorflow' ? BUILD_HINT : 'reinstall dependencies with npm ci'}`, { requested: backend });
    }
    skipped.push(`${backend} skipped: ${failure}`);
  }
  throw new NotReadyError('backend_unavailable', `no TF.js backend could start (${skipped.join('; ')})`);
}

/** Loads tfjs-node onto our tfjs-core; returns why it cannot, or undefined on success. */
async function startTensorflow(onednn: boolean): Promise<string | undefined> {
  let node: Tf;
  try {
    // libtensorflow reads this variable when it loads, so it must be set before the require below
    // (InitOptions.onednn). A write for the native library, not configuration read by our code.
    // eslint-disable-next-line no-restricted-properties -- sets (never reads) libtensorflow's switch
    process.env.TF_ENABLE_ONEDNN_OPTS = onednn ? '1' : '0';
    node = requireTfjsNode() as Tf;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes(`'${TFJS_NODE}'`)) return `${TFJS_NODE} is not installed`;
    return `${TFJS_NODE} failed to load (${e.message.split('\n')[0]})`;
  }
  // tfjs-node must register onto the project's single @tensorflow/tfjs, or tensors from the two
  // copies would not mix (instanceof checks, kernel registry).
  assert(node.Tensor === tfjs.Tensor && node.engine() === tfjs.engine(),
    `${TFJS_NODE} resolved a second copy of @tensorflow/tfjs; remove node_modules/${TFJS_NODE}/node_modules/@tensorflow`);
  registerTensorflowTrainingKernels(tfjs);
  if (!(await tfjs.setBackend('tensorflow'))) return 'the tensorflow backend failed to initialise';
  await tfjs.ready();
  return undefined;
}

/**
 * The folder holding the .wasm binaries (the package's dist/), resolved at run time so it also
 * works from Next's server output, where the package is external and paths differ from the
 * source tree. Undefined when a bundler rewrote `require.resolve` into something other than a
 * path: the wasm loader then finds the binaries next to its own script, which is the same folder.
 */
function wasmDistDir(): string | undefined {
  const pkgJson: unknown = requireFromHere.resolve(`${TFJS_WASM}/package.json`);
  if (typeof pkgJson !== 'string' || !path.isAbsolute(pkgJson)) return undefined;
  return path.join(path.dirname(pkgJson), 'dist') + path.sep;
}

/** Starts the wasm backend with our gradient kernels; returns why it cannot, or undefined. */
async function startWasm(): Promise<string | undefined> {
  registerWasmGradKernels(tfjs);
  const dist = wasmDistDir();
  if (dist) setWasmPaths(dist);
  try {
    if (!(await tfjs.setBackend('wasm'))) return 'the wasm backend failed to initialise';
  } catch (err) {
    return `the wasm backend failed to initialise (${(err as Error).message})`;
  }
  await tfjs.ready();
  return undefined;
}
