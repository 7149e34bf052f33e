// The exporter (lib/embedder/onnx-export.ts) against TF.js on every tower shape the project
// builds, with trained-looking batch-norm statistics so the fold is exercised, and the choice of
// runtime in loadModel: ONNX Runtime where it can run the model, else TF.js with one log line.
import { readFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRng } from '@/lib/calibration/rng';
import { calibrate } from '@/lib/calibration';
import { initTf, type Tf } from '@/lib/embedder/backend';
import { sha256Hex, type ModelManifest } from '@/lib/embedder/manifest';
import { buildTower, mergeTowers, towerInputShape, towerOutputDim, type ConvSpec, type LayersModel, type TowerSpec } from '@/lib/embedder/tower';
import { loadModel, ONNX_FILE, saveModel } from '@/lib/embedder/weights';
import { TEST_BACKEND } from '../helpers/backend';
import { REPO_ROOT, runWithoutOnnxRuntime } from '../helpers/without-onnxruntime';

let tf: Tf;
let dir: string;
beforeAll(async () => {
  ({ tf } = await initTf(TEST_BACKEND));
  dir = await mkdtemp(path.join(tmpdir(), 'onnx-export-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const CONV: ConvSpec = { type: 'conv', inputSizePx: 28, channels: 1, filters: [8, 8], embeddingDim: 8 };
const BN32: ConvSpec = { type: 'conv', inputSizePx: 32, channels: 1, filters: [8, 8, 8], embeddingDim: 6, batchNorm: true };

function manifestFor(spec: TowerSpec, version: string): ModelManifest {
  const input: ModelManifest['input'] = spec.type === 'mlp' ? { type: 'vector', dim: spec.inputDim } : { type: 'image', preprocess: { inputSizePx: spec.inputSizePx, channels: spec.channels as 1, invert: true, fit: 'fill' } };
  return {
    format: 1, version, kind: 'object', input, architecture: { ...spec }, embeddingDim: towerOutputDim(spec), metric: 'euclidean',
    calibration: calibrate([0.1, 0.2, 0.3], [0.9, 1.0, 1.1, 1.2]),
    data: { source: 'test', train: ['a'], heldOut: ['b'], identities: { train: 1, heldOut: 1 } },
    seed: 1, config: {}, metrics: {}, lossHistory: [], pairsPerSecond: 1, backend: 'wasm', trainingSeconds: 1, createdAt: '2026-01-01T00:00:00.000Z', plots: [],
  };
}

/** A tower with batch-norm statistics far from the initial (0, 1, 1, 0), as training leaves them. */
function trainedLooking(model: LayersModel, seed: number): LayersModel {
  const rng = createRng(seed);
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    const n = layer.getWeights()[0].shape[0];
    const values = (lo: number, hi: number) => tf.tensor1d(Array.from({ length: n }, () => lo + (hi - lo) * rng.next()));
    layer.setWeights([values(0.5, 2), values(-0.5, 0.5), values(-0.3, 0.3), values(0.2, 3)]); // gamma, beta, moving mean, moving variance
  }
  return model;
}

/** Saves `model` under `spec` and loads it on both runtimes. */
async function bothRuntimes(name: string, model: LayersModel, spec: TowerSpec) {
  const out = path.join(dir, name);
  await saveModel(out, model, manifestFor(spec, `test-${name}`));
  model.dispose();
  return { out, tfjs: await loadModel(out, { inference: 'tfjs' }), onnx: await loadModel(out, { inference: 'onnx' }) };
}

function maxAbsDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let max = 0;
  a.forEach((row, i) => row.forEach((v, j) => (max = Math.max(max, Math.abs(v - b[i][j])))));
  return max;
}

describe('exportTowerOnnx (through saveModel and loadModel)', () => {
  it.each([
    { name: 'conv', spec: CONV as TowerSpec },
    { name: 'conv-bn', spec: BN32 as TowerSpec },
    { name: 'conv-shifts', spec: { ...CONV, testShifts: true } as TowerSpec },
    { name: 'mlp', spec: { type: 'mlp', inputDim: 16, hidden: [12, 10], embeddingDim: 8 } as TowerSpec },
    { name: 'mlp-linear', spec: { type: 'mlp', inputDim: 16, hidden: [], embeddingDim: 8 } as TowerSpec },
  ])('$name: ONNX Runtime embeds within 1e-5 of TF.js', async ({ name, spec }) => {
    const { tfjs, onnx } = await bothRuntimes(name, trainedLooking(buildTower(tf, spec, 5), 9), spec);
    const rng = createRng(11);
    const length = towerInputShape(spec).reduce((a, b) => a * b, 1);
    const inputs = Array.from({ length: 7 }, () => Float32Array.from({ length }, () => rng.next()));
    expect(maxAbsDiff(await onnx.embed(inputs), await tfjs.embed(inputs))).toBeLessThanOrEqual(1e-5);
    tfjs.dispose();
    onnx.dispose();
  });

  it('ensemble with a resized member (bilinear, corners aligned): within 1e-5 of TF.js', async () => {
    const members = [BN32, { ...BN32, inputSizePx: 28, embeddingDim: 4 }].map((spec, i) => ({ model: trainedLooking(buildTower(tf, spec, i + 1), i + 20), spec }));
    const merged = mergeTowers(tf, members);
    for (const m of members) m.model.dispose();
    const { tfjs, onnx } = await bothRuntimes('ensemble', merged.model, merged.spec);
    const rng = createRng(12);
    const inputs = Array.from({ length: 9 }, () => Float32Array.from({ length: 32 * 32 }, () => rng.next()));
    const got = await onnx.embed(inputs);
    expect(got[0]).toHaveLength(10);
    expect(maxAbsDiff(got, await tfjs.embed(inputs))).toBeLessThanOrEqual(1e-5);
    tfjs.dispose();
    onnx.dispose();
  });

  it('pins model.json, weights.bin and model.onnx by sha256 in the manifest', async () => {
    const out = path.join(dir, 'conv');
    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as ModelManifest;
    for (const ref of [manifest.artefacts!.tfjs.model, manifest.artefacts!.tfjs.weights, manifest.artefacts!.onnx]) {
      expect(ref.sha256).toBe(sha256Hex(new Uint8Array(await readFile(path.join(out, ref.file)))));
    }
    expect(manifest.artefacts!.onnx.file).toBe(ONNX_FILE);
  });
});

describe('loadModel: inference runtime', () => {
  /** Runs `fn` with console.warn captured; returns its result and the lines logged. */
  async function warnings<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const result = await fn();
      return { result, lines: spy.mock.calls.map((c) => String(c[0])) };
    } finally {
      spy.mockRestore();
    }
  }

  it('auto runs ONNX Runtime when the model has an .onnx artefact, logging nothing', async () => {
    const { result, lines } = await warnings(() => loadModel(path.join(dir, 'conv'), { inference: 'auto' }));
    expect(result.runtime).toBe('onnx');
    expect(lines).toEqual([]);
    result.dispose();
  });

  it('auto falls back to TF.js with one log line when ONNX Runtime refuses the model; onnx is an error', async () => {
    const out = path.join(dir, 'refused');
    await saveModel(out, buildTower(tf, CONV, 5), manifestFor(CONV, 'test-refused'));
    // A file ONNX Runtime cannot parse, pinned by its own hash so only the runtime can object.
    const garbage = new TextEncoder().encode('not an onnx model');
    await writeFile(path.join(out, ONNX_FILE), garbage);
    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as ModelManifest;
    manifest.artefacts!.onnx.sha256 = sha256Hex(garbage);
    await writeFile(path.join(out, 'manifest.json'), JSON.stringify(manifest));
    const { result, lines } = await warnings(() => loadModel(out, { inference: 'auto' }));
    expect(result.runtime).toBe('tfjs');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[embedder\] test-refused: ONNX Runtime cannot run it \(onnx_session_failed: .*\); inference on TF\.js$/);
    expect(await result.embed([new Float32Array(784)])).toHaveLength(1);
    result.dispose();
    await expect(loadModel(out, { inference: 'onnx' })).rejects.toMatchObject({ code: 'onnx_session_failed' });
  });

  it('auto falls back to TF.js with one log line for a model saved before issue 20 (no artefacts)', async () => {
    const out = path.join(dir, 'old');
    await saveModel(out, buildTower(tf, CONV, 5), manifestFor(CONV, 'test-old'));
    const { artefacts: _a, ...old } = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as ModelManifest;
    await writeFile(path.join(out, 'manifest.json'), JSON.stringify(old));
    const { result, lines } = await warnings(() => loadModel(out, { inference: 'auto' }));
    expect(result.runtime).toBe('tfjs');
    expect(lines).toEqual([expect.stringMatching(/^\[embedder\] test-old: ONNX Runtime cannot run it \(onnx_missing: .*\); inference on TF\.js$/)]);
    result.dispose();
  });

  it.each([
    { name: 'model.onnx', file: ONNX_FILE, inference: 'auto' as const },
    { name: 'weights.bin', file: 'weights.bin', inference: 'tfjs' as const },
  ])('refuses a $name that is not the one the manifest pins (invalid_manifest, no fallback)', async ({ name, file, inference }) => {
    const out = path.join(dir, `changed-${name}`);
    await saveModel(out, buildTower(tf, CONV, 5), manifestFor(CONV, 'test-changed'));
    const bytes = await readFile(path.join(out, file));
    bytes[bytes.length - 1] ^= 1;
    await writeFile(path.join(out, file), bytes);
    await expect(loadModel(out, { inference })).rejects.toMatchObject({ code: 'invalid_manifest' });
  });

  it('auto falls back to TF.js with one log line in a process where onnxruntime-node does not resolve', async () => {
    const { stdout, stderr } = await runWithoutOnnxRuntime(dir, [
      `import { initTf } from ${JSON.stringify(path.join(REPO_ROOT, 'lib/embedder/backend.ts'))};`,
      `import { loadModel } from ${JSON.stringify(path.join(REPO_ROOT, 'lib/embedder/weights.ts'))};`,
      "await initTf('wasm');",
      `const model = await loadModel(${JSON.stringify(path.join(dir, 'conv'))}, { inference: 'auto' });`,
      "console.log('RESULT', model.runtime, (await model.embed([new Float32Array(784)]))[0].length);",
    ]);
    expect(stdout).toContain('RESULT tfjs 8');
    const lines = stderr.split('\n').filter((l) => l.startsWith('[embedder]'));
    expect(lines).toEqual([expect.stringMatching(/^\[embedder\] test-conv: ONNX Runtime cannot run it \(onnx_unavailable: onnxruntime-node did not load: Cannot find module 'onnxruntime-node'\); inference on TF\.js$/)]);
  }, 60_000);
});
