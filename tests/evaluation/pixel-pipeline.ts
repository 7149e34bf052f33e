/** Test helper: an `EmbeddingPipeline` whose embedding is the L2-normalised 28x28 ink image (no network). */
import type { ModelManifest } from '@/lib/embedder/manifest';
import type { EmbeddingPipeline } from '@/lib/evaluation/pipeline';
import { decodeImage, preprocessImage } from '@/lib/imaging';
import { calibrate } from '@/lib/calibration';

const SPEC = { inputSizePx: 28, channels: 1, invert: true, fit: 'fill' } as const;

/** Unit-length copy of v. */
export function normalise(v: Float32Array): Float32Array {
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

/** A manifest around a calibration learned from the given distances. */
export function fakeManifest(genuine: number[], impostor: number[]): ModelManifest {
  return {
    format: 1, version: 'pixels-test', kind: 'object', input: { type: 'image', preprocess: SPEC }, architecture: {},
    embeddingDim: 784, metric: 'euclidean', calibration: calibrate(genuine, impostor),
    data: { source: 'test', train: [], heldOut: [], identities: { train: 0, heldOut: 0 } }, seed: 0, config: {}, metrics: {},
    lossHistory: [], pairsPerSecond: 0, backend: 'none', trainingSeconds: 0, createdAt: '2026-01-01T00:00:00.000Z', plots: [],
  };
}

/** Raw-pixel pipeline; `refuse` marks bytes the pipeline refuses (returns null). */
export function pixelPipeline(manifest: ModelManifest, refuse: (bytes: Uint8Array) => boolean = () => false): EmbeddingPipeline {
  return {
    manifest,
    backend: 'none',
    runtime: 'none',
    prepareKey: JSON.stringify(SPEC),
    prepare: async (bytes) => (refuse(bytes) ? null : preprocessImage(await decodeImage(bytes), SPEC)),
    embed: async (inputs) => inputs.map(normalise),
    dispose: () => {},
  };
}
