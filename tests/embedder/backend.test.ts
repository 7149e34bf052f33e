import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { backendInfo, getTf, initTf, type BackendName, type Tensor, type Tensor4D } from '@/lib/embedder/backend';
import { AppError } from '@/lib/errors';
import { TEST_BACKEND, tfjsNodeInstalled } from '../helpers/backend';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Tests read ML_BACKEND directly (lib code never does). `ML_BACKEND=tensorflow npx vitest run
// tests/embedder/backend.test.ts` runs this file on tfjs-node, once scripts/build-tfjs-node.sh has run.
const BACKEND: BackendName = TEST_BACKEND;
const OTHER: BackendName = BACKEND === 'wasm' ? 'tensorflow' : 'wasm';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  }
  throw new Error('expected a rejection');
}

// The order of these tests matters: the first ones run before the backend is initialised.
describe('getTf', () => {
  it('throws tf_not_initialised before initTf', () => {
    expect(() => getTf()).toThrowError(expect.objectContaining({ code: 'tf_not_initialised' }));
  });
});

describe('initTf', () => {
  it.skipIf(tfjsNodeInstalled)(
    "rejects an explicit 'tensorflow' with backend_unavailable and the fix (skipped: @tensorflow/tfjs-node is installed)",
    async () => {
      const err = await initTf('tensorflow').catch((e: unknown) => e as AppError);
      expect(err).toMatchObject({ code: 'backend_unavailable' });
      expect((err as AppError).message).toContain('npm run build:tfjs-node');
      expect(() => getTf()).toThrowError(expect.objectContaining({ code: 'tf_not_initialised' }));
    },
  );

  it(`initialises ${BACKEND} once, also under concurrent calls`, async () => {
    const [a, b] = await Promise.all([initTf(BACKEND), initTf(BACKEND)]);
    expect(a.backend).toBe(BACKEND);
    expect(b).toEqual(a);
    expect(a.tf.getBackend()).toBe(BACKEND);
    expect(getTf()).toBe(a.tf);
  });

  it("returns the active backend for 'auto' and for the same name", async () => {
    const first = await initTf(BACKEND);
    expect(await initTf('auto')).toEqual(first);
    expect(await initTf()).toEqual(first);
  });

  it('rejects a different backend with backend_mismatch', async () => {
    expect(await codeOf(initTf(OTHER))).toBe('backend_mismatch');
    expect(getTf().getBackend()).toBe(BACKEND);
  });

  it('leaves no tensors behind after a tidy conv forward and backward pass', async () => {
    const { tf } = await initTf(BACKEND);
    const before = tf.memory().numTensors;
    const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 1) as Tensor4D;
    const w = tf.tidy(() => tf.variable(tf.randomNormal([3, 3, 1, 4], 0, 1, 'float32', 2)));
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.conv2d(x, w as Tensor4D, 1, 'same'))));
      expect(Object.keys(grads)).toEqual([w.name]);
      return value;
    });
    expect(loss.dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([loss, x, w]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('shares one engine with tfjs-layers', async () => {
    const { tf, backend } = await initTf(BACKEND);
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3 }), tf.layers.flatten()],
    });
    const y = model.predict(tf.zeros([1, 6, 6, 1])) as Tensor;
    // A second tfjs-core copy would produce tensors of another Tensor class on another engine.
    expect(y).toBeInstanceOf(tf.Tensor);
    expect(y.shape).toEqual([1, 4 * 4 * 2]);
    expect(tf.engine().backendName).toBe(backend);
    tf.dispose(y);
    model.dispose();
  });
});

describe('backendInfo', () => {
  it('reports the backend, versions and threads', () => {
    const info = backendInfo();
    expect(info.backend).toBe(BACKEND);
    expect(info.version).toContain('tfjs-core 4.22.0');
    if (BACKEND === 'wasm') {
      expect(info.version).toContain('tfjs-backend-wasm 4.22.0');
      expect(info.threads).toBe(1); // wasm runs single-threaded in Node
    } else {
      expect(info.version).toMatch(/tfjs-node 4\.22\.0, libtensorflow \d+\.\d+/);
    }
  });
});

describe('initTf with ML_BACKEND=tensorflow', () => {
  it.skipIf(BACKEND !== 'tensorflow')(
    'uses tfjs-node (skipped unless ML_BACKEND=tensorflow and @tensorflow/tfjs-node is built: npm run build:tfjs-node)',
    async () => {
      const { tf, backend } = await initTf('tensorflow');
      expect(backend).toBe('tensorflow');
      expect(tf.getBackend()).toBe('tensorflow');
    },
  );
});

describe("initTf('auto') in a fresh process", () => {
  it(`picks ${tfjsNodeInstalled ? 'tensorflow (tfjs-node is installed)' : 'wasm (tfjs-node is not installed)'} and logs it once`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'backend-test-'));
    try {
      const script = path.join(dir, 'auto.mts'); // .mts: ESM, for top-level await
      writeFileSync(script, [
        `import { initTf } from ${JSON.stringify(path.join(ROOT, 'lib/embedder/backend.ts'))};`,
        `const a = await initTf('auto');`,
        `const b = await initTf('auto');`,
        `console.log('RESULT', a.backend, b.backend, a.tf.getBackend());`,
      ].join('\n'));
      const tsx = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');
      const { stdout } = await promisify(execFile)(process.execPath, [tsx, script], { cwd: ROOT, timeout: 60_000 });
      const expected = tfjsNodeInstalled ? 'tensorflow' : 'wasm';
      expect(stdout).toContain(`RESULT ${expected} ${expected} ${expected}`);
      const logs = stdout.split('\n').filter((l) => l.startsWith('[ml] TF.js backend:'));
      expect(logs).toHaveLength(1);
      expect(logs[0]).toContain(`[ml] TF.js backend: ${expected} (auto`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
