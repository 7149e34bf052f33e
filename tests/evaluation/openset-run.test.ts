import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIdentifyFolder } from '@/lib/evaluation/make-protocols';
import { formatOpenSetTable, runOpenSet } from '@/lib/evaluation/openset-run';
import { fakeManifest, pixelPipeline } from './pixel-pipeline';
import { OMNIGLOT_ZIP } from '../helpers/data';

let dir: string;
let data: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'openset-'));
  data = path.join(dir, 'data');
  await makeIdentifyFolder(data, { zipPath: OMNIGLOT_ZIP, alphabets: ['Hebrew'] });
  await writeFile(path.join(data, 'Hebrew', 'character01', 'broken.png'), Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const grid = { sizes: [5, 'all'] as const, shots: [1], fars: [0.01], policies: ['model-curve-identities'], repeats: 2, seed: 0 };

describe('runOpenSet', () => {
  it('embeds once, then reads the cache; counts refused images; shapes the JSON and the table', async () => {
    const manifest = fakeManifest([0.5, 0.6, 0.7], [0.9, 1.0, 1.1]);
    const logs: string[] = [];
    const opts = { ...grid, modelDir: '.', cacheDir: path.join(dir, 'cache') };
    const first = await runOpenSet(data, pixelPipeline(manifest), opts, (m) => logs.push(m));
    const second = await runOpenSet(data, pixelPipeline(manifest), opts, (m) => logs.push(m));
    expect(logs.filter((m) => m.includes(`from ${first.cacheFile}`))).toHaveLength(1);
    expect(second).toEqual(first);
    // 22 characters x 20 drawings + broken.png.
    expect(first).toMatchObject({ task: 'openset', identities: 22, images: 441, refused: 1, excludedIdentities: 0, calibrationOverlap: null });
    expect(first.cells).toHaveLength(2);
    const table = formatOpenSetTable(first);
    expect(table.split('\n')).toHaveLength(4);
    expect(table).toContain('model-curve-identities  5 ');
  });

  it('keeps identities the model was calibrated on out, and flags data that are all such', async () => {
    const some = { ...fakeManifest([0.5], [1.0]), data: { source: 'test', train: [], heldOut: ['Hebrew/character01', 'Hebrew/character02'], identities: { train: 0, heldOut: 2 } } };
    const opts = { ...grid, modelDir: '.', cacheDir: path.join(dir, 'cache') };
    expect(await runOpenSet(data, pixelPipeline(some), opts, () => {})).toMatchObject({ identities: 20, excludedIdentities: 2, calibrationOverlap: null });
    const all = { ...some, data: { ...some.data, heldOut: ['Hebrew'] } };
    const flagged = await runOpenSet(data, pixelPipeline(all), opts, () => {});
    expect(flagged).toMatchObject({ identities: 22, excludedIdentities: 0 });
    expect(flagged.calibrationOverlap).toMatch(/^every identity of .* is among those model pixels-test was trained or calibrated on \(test\)/);
  });
});
