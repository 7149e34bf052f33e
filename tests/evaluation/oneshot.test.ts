import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOneShotRuns } from '@/lib/evaluation/make-protocols';
import { readOneShotRuns } from '@/lib/evaluation/oneshot';
import { runOneShot } from '@/lib/evaluation/run';
import { decodeImage } from '@/lib/imaging';
import { fakeManifest, pixelPipeline } from './pixel-pipeline';
import { OMNIGLOT_ZIP } from '../helpers/data';

const ZIP = OMNIGLOT_ZIP;
let out: string;
let provenance: Awaited<ReturnType<typeof makeOneShotRuns>>;

beforeAll(async () => {
  out = await mkdtemp(path.join(tmpdir(), 'oneshot-'));
  provenance = await makeOneShotRuns(out, { zipPath: ZIP, alphabets: ['Hebrew', 'Korean'], runs: 2, seed: 3 });
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('makeOneShotRuns', () => {
  it("writes Lake's layout: 20 classes, 20 items, one answer line per item, two drawers per run", async () => {
    expect(provenance.map((p) => p.run)).toEqual(['run01', 'run02']);
    expect(new Set(provenance.map((p) => p.alphabet))).toEqual(new Set(['Hebrew', 'Korean']));
    for (const p of provenance) {
      expect(p.trainDrawer).not.toBe(p.testDrawer);
      expect(new Set(p.characters).size).toBe(20);
    }
    const lines = (await readFile(path.join(out, 'run01', 'class_labels.txt'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(20);
    expect(lines[0]).toMatch(/^run01\/test\/item01\.png run01\/training\/class\d\d\.png$/);
    const img = await decodeImage(new Uint8Array(await readFile(path.join(out, 'run01', 'training', 'class01.png'))));
    expect([img.width, img.height, img.format]).toEqual([105, 105, 'png']);
  });

  it('is reproducible from the seed', async () => {
    const again = await mkdtemp(path.join(tmpdir(), 'oneshot-again-'));
    try {
      expect(await makeOneShotRuns(again, { zipPath: ZIP, alphabets: ['Hebrew', 'Korean'], runs: 2, seed: 3 })).toEqual(provenance);
      expect(await readFile(path.join(again, 'run02', 'class_labels.txt'), 'utf8')).toBe(await readFile(path.join(out, 'run02', 'class_labels.txt'), 'utf8'));
    } finally {
      await rm(again, { recursive: true, force: true });
    }
  });
});

describe('readOneShotRuns', () => {
  it('parses the published layout', async () => {
    const runs = await readOneShotRuns(out);
    expect(runs).toHaveLength(2);
    expect(runs[0].training).toEqual(Array.from({ length: 20 }, (_, i) => `run01/training/class${String(i + 1).padStart(2, '0')}.png`));
    expect(runs[0].trials).toHaveLength(20);
    expect(runs[0].trials[0].test).toBe('run01/test/item01.png');
  });

  it('refuses a label line naming a missing training image', async () => {
    const bad = await mkdtemp(path.join(tmpdir(), 'oneshot-bad-'));
    try {
      await makeOneShotRuns(bad, { zipPath: ZIP, alphabets: ['Hebrew'], runs: 1, seed: 0 });
      await writeFile(path.join(bad, 'run01', 'class_labels.txt'), 'run01/test/item01.png run01/training/class99.png\n');
      await expect(readOneShotRuns(bad)).rejects.toThrow(/line 1: expected .* got "run01\/test\/item01.png run01\/training\/class99.png"/);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});

describe('runOneShot', () => {
  const pipeline = pixelPipeline(fakeManifest([0.1], [0.9]));

  it('scores raw pixels above chance and shapes the JSON', async () => {
    const json = await runOneShot(out, pipeline, () => {});
    expect(Object.keys(json)).toEqual(['task', 'trials', 'accuracy', 'model', 'backend', 'runtime']);
    expect(json).toMatchObject({ task: 'oneshot', trials: 40, model: 'pixels-test', backend: 'none', runtime: 'none' });
    expect(json.accuracy).toBeGreaterThan(0.1); // chance is 1/20
  });

  it('scores 100% when every test item is a copy of its answer (checks the answer bookkeeping)', async () => {
    const copy = await mkdtemp(path.join(tmpdir(), 'oneshot-copy-'));
    try {
      await makeOneShotRuns(copy, { zipPath: ZIP, alphabets: ['Korean'], runs: 1, seed: 9 });
      for (const { test, answer } of (await readOneShotRuns(copy))[0].trials) await copyFile(path.join(copy, answer), path.join(copy, test));
      expect(await runOneShot(copy, pipeline, () => {})).toMatchObject({ trials: 20, accuracy: 1 });
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});
