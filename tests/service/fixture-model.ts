// A stand-in default object model for machines without a committed one: an untrained conv tower
// (28x28 grey Omniglot input) calibrated on drawings of TRAINING alphabets, saved as a model folder.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initTf } from '@/lib/embedder/backend';
import { embedBatch } from '@/lib/embedder/embed';
import type { ModelManifest } from '@/lib/embedder/manifest';
import { buildTower, type ConvSpec } from '@/lib/embedder/tower';
import { saveModel } from '@/lib/embedder/weights';
import { readOmniglotEntries } from '@/lib/datasets/omniglot';
import { decodeImage, preprocessImage, type PreprocessSpec } from '@/lib/imaging';
import { calibrate } from '@/lib/calibration';

const SPEC: PreprocessSpec = { inputSizePx: 28, channels: 1, invert: true, fit: 'fill' };
const TOWER: ConvSpec = { type: 'conv', inputSizePx: 28, channels: 1, filters: [16, 32], embeddingDim: 32 };
const VERSION = 'fixture-untrained-1';

/** Builds the fixture model under a new MODELS_DIR (with defaults.json) and returns that folder. */
export async function buildFixtureModels(zipPath: string): Promise<string> {
  const { tf } = await initTf('wasm');
  const tower = buildTower(tf, TOWER, 1);
  const entries = readOmniglotEntries(new Uint8Array(await readFile(zipPath)), ['Latin']).filter((e) => e.drawer <= 4 && Number(e.character.slice(9)) <= 12);
  const inputs = await Promise.all(entries.map(async (e) => preprocessImage(await decodeImage(e.bytes), SPEC)));
  const emb = await embedBatch(tf, tower, inputs, [28, 28, 1]);
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (let i = 0; i < emb.length; i++) {
    for (let j = i + 1; j < emb.length; j++) {
      const d = Math.hypot(...emb[i].map((x, t) => x - emb[j][t]));
      (entries[i].character === entries[j].character ? genuine : impostor).push(d);
    }
  }
  const manifest: ModelManifest = {
    format: 1, version: VERSION, kind: 'object', input: { type: 'image', preprocess: SPEC }, architecture: TOWER,
    embeddingDim: TOWER.embeddingDim, metric: 'euclidean', calibration: calibrate(genuine, impostor),
    data: { source: 'omniglot', train: [], heldOut: [], identities: { train: 0, heldOut: 0 } },
    seed: 1, config: {}, metrics: {}, lossHistory: [], pairsPerSecond: 0, backend: 'wasm', trainingSeconds: 0,
    createdAt: new Date(0).toISOString(), plots: [],
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'fewshot-models-'));
  await saveModel(path.join(dir, 'object', VERSION), tower, manifest);
  tower.dispose();
  writeFileSync(path.join(dir, 'defaults.json'), JSON.stringify({ object: VERSION, face: null }));
  return dir;
}
