// The TF.js backend a test run uses: wasm, or tfjs-node when ML_BACKEND=tensorflow asks for it and
// it is installed (scripts/build-tfjs-node.sh). Tests read ML_BACKEND directly; lib code never does.
import { createRequire } from 'node:module';
import type { BackendName } from '@/lib/embedder/backend';

/** Whether @tensorflow/tfjs-node resolves in node_modules. */
export const tfjsNodeInstalled: boolean = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

/** Backend of this test run. */
export const TEST_BACKEND: BackendName = process.env.ML_BACKEND === 'tensorflow' && tfjsNodeInstalled ? 'tensorflow' : 'wasm';
