import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOmniglot, OMNIGLOT_ALPHABETS, OMNIGLOT_SPLIT, readOmniglotEntries } from '@/lib/datasets/omniglot';
import { datasetCacheKey } from '@/lib/datasets/cache';
import { decodeImage, preprocessImage, PREPROCESS_VERSION } from '@/lib/imaging';
import { createHash } from 'node:crypto';
import { OMNIGLOT_ZIP } from '../helpers/data';

const ZIP = OMNIGLOT_ZIP;
const SPEC = { inputSizePx: 28, channels: 1, invert: true, fit: 'fill' } as const;

describe('OMNIGLOT_SPLIT', () => {
  it('splits the 30 alphabets into disjoint train and held-out sets of large alphabets', () => {
    const all = Object.keys(OMNIGLOT_ALPHABETS);
    expect(all).toHaveLength(30);
    expect(Object.values(OMNIGLOT_ALPHABETS).reduce((a, b) => a + b, 0)).toBe(964);
    expect(OMNIGLOT_SPLIT.heldOut).toHaveLength(6);
    expect(new Set([...OMNIGLOT_SPLIT.train, ...OMNIGLOT_SPLIT.heldOut]).size).toBe(30);
    expect(OMNIGLOT_SPLIT.train.length + OMNIGLOT_SPLIT.heldOut.length).toBe(30);
    for (const a of OMNIGLOT_SPLIT.heldOut) expect(OMNIGLOT_ALPHABETS[a]).toBeGreaterThanOrEqual(20);
  });
});

describe('readOmniglotEntries', () => {
  it('reads only the asked alphabets, ordered by character then drawer', () => {
    const entries = readOmniglotEntries(new Uint8Array(readFileSync(ZIP)), ['Hebrew']);
    expect(entries).toHaveLength(22 * 20);
    expect(entries[0]).toMatchObject({ alphabet: 'Hebrew', character: 'character01', drawer: 1 });
    expect(entries[19]).toMatchObject({ character: 'character01', drawer: 20 });
    expect(entries[20]).toMatchObject({ character: 'character02', drawer: 1 });
    expect([...entries[0].bytes.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
  });

  it('names the valid alphabets when given an unknown one', () => {
    expect(() => readOmniglotEntries(new Uint8Array(0), ['Klingon'])).toThrow(/unknown Omniglot alphabet\(s\) Klingon; expected names from .*Korean/);
  });
});

describe('loadOmniglot', () => {
  it('loads characters as identities with 20 preprocessed drawings each, ink = 1', async () => {
    const ds = await loadOmniglot({ zipPath: ZIP, spec: SPEC, alphabets: ['Korean', 'Hebrew'], maxIdentities: 3 });
    expect(ds.identities.map((i) => i.identity)).toEqual(['Hebrew/character01', 'Hebrew/character02', 'Hebrew/character03']);
    for (const id of ds.identities) {
      expect(id.group).toBe('Hebrew');
      expect(id.images).toHaveLength(20);
      for (const img of id.images) {
        expect(img).toHaveLength(28 * 28);
        const mean = img.reduce((a, b) => a + b, 0) / img.length;
        // ~8% ink at 105 px; strokes blur over more pixels at 28 px, but background stays 0.
        expect(mean).toBeGreaterThan(0.02);
        expect(mean).toBeLessThan(0.35);
        expect(img[0]).toBeLessThan(0.05);
      }
    }
  });

  it('returns identical arrays from the cache, keyed by preprocessing version, zip and spec', async () => {
    const cacheDir = await mkdtemp(path.join(tmpdir(), 'omniglot-cache-'));
    try {
      const opts = { zipPath: ZIP, spec: SPEC, alphabets: ['Futurama'], maxIdentities: 2, cacheDir };
      const first = await loadOmniglot(opts);
      expect((await readdir(cacheDir)).sort()).toHaveLength(2);
      const second = await loadOmniglot(opts);
      expect(second.identities.map((i) => i.identity)).toEqual(first.identities.map((i) => i.identity));
      expect(second.identities[1].images[19]).toEqual(first.identities[1].images[19]);
      await loadOmniglot({ ...opts, spec: { ...SPEC, inputSizePx: 20 } });
      expect(await readdir(cacheDir)).toHaveLength(4);
      // What the cache returns is what preprocessing the PNG gives now (a stale cache once did not).
      const entry = readOmniglotEntries(new Uint8Array(readFileSync(ZIP)), ['Futurama']).find((e) => e.drawer === 20 && `${e.alphabet}/${e.character}` === second.identities[1].identity)!;
      expect(second.identities[1].images[19]).toEqual(await preprocessImage(await decodeImage(entry.bytes), SPEC));
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});

describe('datasetCacheKey', () => {
  it('includes the preprocessing version, so arrays cached by other preprocessing code are never read', () => {
    const withoutVersion = createHash('sha256').update('spec').update('\u0000').digest('hex').slice(0, 24);
    const withVersion = createHash('sha256').update(PREPROCESS_VERSION).update('\u0000').update('spec').update('\u0000').digest('hex').slice(0, 24);
    expect(datasetCacheKey(['spec'])).toBe(withVersion);
    expect(datasetCacheKey(['spec'])).not.toBe(withoutVersion);
  });
});

