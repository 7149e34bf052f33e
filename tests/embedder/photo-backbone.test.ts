import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTf, type Tf } from '@/lib/embedder/backend';
import { loadPhotoBackbone, MOBILENET_V2_BACKBONE, type LoadedBackbone } from '@/lib/embedder/photo-backbone';
import { encodePng } from '@/lib/imaging';
import { cacheFeatures, featureCacheDir, photoFeatures } from '@/lib/training/photo-features';
import { createRng } from '@/lib/calibration/rng';
import { REPO_ROOT, runWithoutOnnxRuntime } from '../helpers/without-onnxruntime';

let tf: Tf;
let backbone: LoadedBackbone;
let cacheDir: string;
beforeAll(async () => {
  ({ tf } = await initTf('wasm'));
  backbone = await loadPhotoBackbone(tf, MOBILENET_V2_BACKBONE, { inference: 'tfjs' });
  cacheDir = await mkdtemp(path.join(tmpdir(), 'photo-features-'));
}, 60_000);
afterAll(async () => {
  backbone.dispose();
  await rm(cacheDir, { recursive: true, force: true });
});

/** A seeded 64 x 48 RGB photo of noise, PNG-encoded. */
async function noisePhoto(seed: number): Promise<Uint8Array> {
  const rng = createRng(seed);
  const data = Uint8Array.from({ length: 64 * 48 * 3 }, () => Math.floor(rng.next() * 256));
  return new Uint8Array(await encodePng({ width: 64, height: 48, channels: 3, data, format: 'png' }));
}

describe('loadPhotoBackbone', () => {
  it('gives 320-d pooled features with no leaked tensors', async () => {
    const side = MOBILENET_V2_BACKBONE.preprocess.inputSizePx;
    const inputs = [0.2, 0.8].map((v) => new Float32Array(side * side * 3).fill(v));
    const before = tf.memory().numTensors;
    const out = await backbone.features(inputs);
    expect(tf.memory().numTensors).toBe(before);
    expect(out.map((f) => f.length)).toEqual([320, 320]);
    expect(out.every((f) => f.every(Number.isFinite))).toBe(true);
    expect(out[0]).not.toEqual(out[1]);
  });

  it('with auto inference, stays on TF.js with one log line in a process where onnxruntime-node does not resolve', async () => {
    const side = MOBILENET_V2_BACKBONE.preprocess.inputSizePx;
    const { stdout, stderr } = await runWithoutOnnxRuntime(cacheDir, [
      `import { initTf } from ${JSON.stringify(path.join(REPO_ROOT, 'lib/embedder/backend.ts'))};`,
      `import { loadPhotoBackbone } from ${JSON.stringify(path.join(REPO_ROOT, 'lib/embedder/photo-backbone.ts'))};`,
      "const { tf } = await initTf('wasm');",
      "const backbone = await loadPhotoBackbone(tf, undefined, { inference: 'auto' });",
      `console.log('RESULT', (await backbone.features([new Float32Array(${side * side * 3}).fill(0.5)]))[0].length);`,
    ]);
    expect(stdout).toContain('RESULT 320');
    const lines = stderr.split('\n').filter((l) => l.startsWith('[embedder]'));
    expect(lines).toEqual([expect.stringMatching(/^\[embedder\] backbone nsfwjs-4\.4\.0-mobilenet_v2-block_16_project_BN-avg: ONNX Runtime cannot run it \(onnx_unavailable: .*\); features on TF\.js$/)]);
  }, 60_000);

  it('refuses a weight file whose SHA-256 differs from the pin (backbone_weights_mismatch)', async () => {
    const pins = { ...MOBILENET_V2_BACKBONE.pins, sha256: { ...MOBILENET_V2_BACKBONE.pins.sha256, 'model.min.js': '0'.repeat(64) } };
    await expect(loadPhotoBackbone(tf, { ...MOBILENET_V2_BACKBONE, pins })).rejects.toMatchObject({ code: 'backbone_weights_mismatch' });
  });
});

describe('photoFeatures', () => {
  it('runs the backbone once per image: a rerun reads the cache, a changed image alone is computed', async () => {
    const photos = [await noisePhoto(1), await noisePhoto(2)];
    const first = await photoFeatures(backbone, photos, { cacheDir });
    expect(first.computed).toBe(2);
    const again = await photoFeatures(backbone, photos, { cacheDir });
    expect(again.computed).toBe(0);
    expect(again.features).toEqual(first.features);
    const changed = await photoFeatures(backbone, [photos[0], await noisePhoto(3)], { cacheDir });
    expect(changed.computed).toBe(1);
    expect(changed.features[0]).toEqual(first.features[0]);
    const shards = await readdir(featureCacheDir(cacheDir, MOBILENET_V2_BACKBONE));
    expect(shards.length).toBeGreaterThan(0);
  });

  it('reads features that cacheFeatures wrote by the image sha256, without running the backbone', async () => {
    const photo = await noisePhoto(4);
    const sha256 = createHash('sha256').update(photo).digest('hex');
    const feature = Float32Array.from({ length: MOBILENET_V2_BACKBONE.dim }, (_, i) => i / 7);
    await cacheFeatures(cacheDir, MOBILENET_V2_BACKBONE, [{ sha256, feature }]);
    const read = await photoFeatures(backbone, [photo], { cacheDir });
    expect(read).toEqual({ features: [feature], computed: 0 });
    await expect(cacheFeatures(cacheDir, MOBILENET_V2_BACKBONE, [{ sha256, feature: feature.subarray(1) }])).rejects.toThrow(/320 values, got 319/);
  });
});
