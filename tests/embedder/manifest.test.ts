import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelDomain, parseManifest, readManifest, type ModelManifest } from '@/lib/embedder/manifest';
import { MOBILENET_V2_BACKBONE } from '@/lib/embedder/photo-backbone';
import { calibrate } from '@/lib/calibration';

const BASE: ModelManifest = {
  format: 1, version: 'photos-2026-01-01-abcd', kind: 'object',
  input: { type: 'vector', dim: 320 },
  architecture: { type: 'mlp', inputDim: 320, hidden: [256], embeddingDim: 128 }, embeddingDim: 128, metric: 'euclidean',
  calibration: calibrate([0.1, 0.2, 0.3], [0.9, 1.0, 1.1, 1.2]),
  data: { source: 'test', train: ['a'], heldOut: ['b'], identities: { train: 1, heldOut: 1 } },
  seed: 1, config: {}, metrics: {}, lossHistory: [], pairsPerSecond: 1, backend: 'wasm',
  trainingSeconds: 1, createdAt: '2026-01-01T00:00:00.000Z', plots: [],
};

describe('parseManifest', () => {
  it('reads a photo model: domain photo, its backbone, the backbone features as vector input', () => {
    const m = parseManifest({ ...BASE, domain: 'photo', backbone: MOBILENET_V2_BACKBONE });
    expect(modelDomain(m)).toBe('photo');
    expect(m.backbone?.id).toBe(MOBILENET_V2_BACKBONE.id);
  });

  it.each([
    { name: 'photo without a backbone', input: { ...BASE, domain: 'photo' } },
    { name: 'a backbone without domain photo', input: { ...BASE, backbone: MOBILENET_V2_BACKBONE } },
    { name: 'vector input of another dim than the backbone', input: { ...BASE, domain: 'photo', backbone: MOBILENET_V2_BACKBONE, input: { type: 'vector', dim: 128 } } },
  ])('refuses $name (invalid_manifest)', ({ input }) => {
    expect(() => parseManifest(input)).toThrow(expect.objectContaining({ code: 'invalid_manifest', message: expect.stringContaining('backbone') }));
  });

  it('reads every committed model; those before issue 19 are drawings (object) with no backbone', async () => {
    for (const kind of ['object', 'face']) {
      for (const version of await readdir(path.join('models', kind))) {
        const m = await readManifest(path.join('models', kind, version));
        expect(modelDomain(m)).toBe(m.backbone ? 'photo' : 'drawing');
      }
    }
  });
});
