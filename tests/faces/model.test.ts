import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelManifest } from '@/lib/embedder/manifest';
import { AppError } from '@/lib/errors';
import { DEFAULT_ALIGNMENT } from '@/lib/faces/align';
import { defaultFaceConfig, loadFaceModel, readFaceConfig, writeFaceConfig } from '@/lib/faces/model';
import { loadFacePipeline } from '@/lib/faces/pipeline';
import { calibrate } from '@/lib/calibration';
import { initTestTf, orlImages } from './fixtures';

let dir: string;

/** A plain-descriptor face model folder (head null) with a small real calibration. */
async function writePlainModel(into: string): Promise<void> {
  const manifest: ModelManifest = {
    format: 1, version: 'face-test-plain', kind: 'face', input: { type: 'vector', dim: 128 }, architecture: { type: 'plain-descriptor' },
    embeddingDim: 128, metric: 'euclidean', calibration: calibrate([0.2, 0.3, 0.4], [0.7, 0.9, 1.1, 1.2]),
    data: { source: 'test', train: [], heldOut: [], identities: { train: 0, heldOut: 0 } }, seed: 0, config: {}, metrics: {},
    lossHistory: [], pairsPerSecond: 0, backend: 'none', trainingSeconds: 0, createdAt: '2026-01-01T00:00:00.000Z', plots: [],
  };
  await writeFile(path.join(into, 'manifest.json'), JSON.stringify(manifest));
  await writeFaceConfig(into, defaultFaceConfig(null));
}

beforeAll(async () => {
  await initTestTf();
  dir = await mkdtemp(path.join(tmpdir(), 'face-model-'));
  await writePlainModel(dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadFaceModel', () => {
  it('loads a plain-descriptor model (head null): embeddings are the normalised descriptors', async () => {
    const model = await loadFaceModel(dir);
    expect(model.config.head).toBeNull();
    const d = Float32Array.from({ length: 128 }, (_, i) => (i % 7) - 3);
    const [e] = await model.embed([d]);
    expect(Math.hypot(...e)).toBeCloseTo(1, 5);
    expect(e[0] / e[1]).toBeCloseTo(d[0] / d[1], 5); // same direction as the descriptor
  });

  it('refuses a model whose face.json pins another weight hash', async () => {
    const config = await readFaceConfig(dir);
    const bad = await mkdtemp(path.join(tmpdir(), 'face-model-bad-'));
    try {
      await writePlainModel(bad);
      await writeFaceConfig(bad, { ...config, faceApi: { ...config.faceApi, sha256: { ...config.faceApi.sha256, 'tiny_face_detector_model.bin': '0'.repeat(64) } } });
      const err = await loadFaceModel(bad).then(() => null, (e: unknown) => e as AppError);
      expect(err?.code).toBe('face_weights_mismatch');
      expect(err?.message).toContain(`tiny_face_detector_model.bin: expected SHA-256 ${'0'.repeat(64)}, got `);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});

describe('readFaceConfig alignment', () => {
  it('reads a face.json from before issue 18 as the landmark box without flip, and round-trips the new form', async () => {
    const config = await readFaceConfig(dir);
    expect(config.alignment).toEqual({ inputSizePx: 150, ...DEFAULT_ALIGNMENT, padding: DEFAULT_ALIGNMENT.method === 'dlib' ? 0.25 : 0.2 });
    const old = await mkdtemp(path.join(tmpdir(), 'face-model-old-'));
    try {
      await writeFile(path.join(old, 'face.json'), JSON.stringify({ ...config, alignment: { inputSizePx: 150, boxPadding: 0.2 } }));
      expect((await readFaceConfig(old)).alignment).toEqual({ inputSizePx: 150, method: 'box', padding: 0.2, flip: false });
      await writeFile(path.join(old, 'face.json'), JSON.stringify({ ...config, alignment: { inputSizePx: 150, method: 'dlib', padding: 0.2, flip: true } }));
      expect(await readFaceConfig(old).then(() => null, (e: unknown) => (e as AppError).code)).toBe('invalid_manifest');
    } finally {
      await rm(old, { recursive: true, force: true });
    }
  });
});

describe('committed face models', () => {
  it('every models/face/<version>/ loads against the installed, pinned face-api', async () => {
    const versions = await readdir('models/face').catch(() => [] as string[]);
    expect(versions.length).toBeGreaterThan(0);
    for (const v of versions) {
      const model = await loadFaceModel(path.join('models/face', v));
      expect(model.manifest.version).toBe(v);
      expect(model.manifest.calibration.thresholds.far1e2.distance).toBeGreaterThan(0);
      model.dispose();
    }
  });
});

describe('loadFacePipeline', () => {
  it('prepares ORL bytes into 128-d descriptors and embeds them', async () => {
    const pipeline = await loadFacePipeline(dir);
    const [img] = await orlImages(['att_faces/s5']);
    const x = await pipeline.prepare(img.bytes);
    expect(x).toHaveLength(128);
    const [e] = await pipeline.embed([x!]);
    expect(Math.hypot(...e)).toBeCloseTo(1, 5);
    pipeline.dispose();
  });
});
