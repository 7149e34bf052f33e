import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateIdentify } from '@/lib/evaluation/identify';
import { makeIdentifyFolder } from '@/lib/evaluation/make-protocols';
import { createUniform, gaussian } from '@/lib/evaluation/random';
import { runIdentify } from '@/lib/evaluation/run';
import { calibrate, type CalibrationCurve } from '@/lib/calibration';
import { fakeManifest, normalise, pixelPipeline } from './pixel-pipeline';
import { OMNIGLOT_ZIP } from '../helpers/data';

const ZIP = OMNIGLOT_ZIP;

/** `identities` well-separated clusters of `perIdentity` unit vectors (noise sd `noise`). */
function clusters(identities: number, perIdentity: number, noise: number, seed = 1): Float32Array[][] {
  const rng = createUniform(seed);
  return Array.from({ length: identities }, () => {
    const centre = Float32Array.from({ length: 16 }, () => gaussian(rng));
    return Array.from({ length: perIdentity }, () => normalise(centre.map((c) => c + noise * gaussian(rng))));
  });
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `id${i}`);
// Genuine ~0.01-0.05 as in the clusters; impostors from 0.3 put the threshold just under 0.3,
// far below the distance between two random 16-d cluster centres (~1.4, rarely under 0.8).
const CURVE: CalibrationCurve = calibrate([0.01, 0.02, 0.03, 0.05], [0.3, 0.4, 0.5, 0.6]).curve;

describe('evaluateIdentify', () => {
  it('scores perfect embeddings rank1 = tar = 1, far = 0, auc = 1, eer = 0', () => {
    const r = evaluateIdentify(clusters(9, 4, 0.005), names(9), { shots: 1, repeats: 3, curve: CURVE });
    expect(r).toMatchObject({ shots: 1, rank1: 1, tar: 1, far: 0, allRight: 1, auc: 1, eer: 0 });
    // 9 identities: 3 strangers x 4 images; 6 enrolled x (4 - 1) queries.
    expect(r).toMatchObject({ strangers: 12, queries: 18, enrolledIdentities: 6 });
    expect(r.threshold).toBeGreaterThan(0.05);
    expect(r.threshold).toBeLessThan(0.3);
  });

  it('never drops a refused image: a missing shot, a wrong query, a rejected stranger', () => {
    // Every identity's 4th image is refused (null). Perfect clusters otherwise.
    const data = clusters(9, 4, 0.005).map((images) => images.map((v, j) => (j === 3 ? null : v)));
    const r = evaluateIdentify(data, names(9), { shots: 1, repeats: 3, curve: CURVE });
    // Counts as without refusals: 3 strangers x 4 images; 6 enrolled x 3 queries.
    expect(r).toMatchObject({ strangers: 12, queries: 18, enrolledIdentities: 6, far: 0 });
    // Refused queries are wrong, and a refused shot leaves its identity's queries unmatched:
    // expected tar = 3/4 (real shot) x 2/3 (real query) = 0.5.
    expect(r.tar).toBeGreaterThan(0.2);
    expect(r.tar).toBeLessThan(0.8);
    expect(r.rank1).toBeLessThan(1);
  });

  it('scores allRight as the product of the enrolled identities\' acceptance times 1 - far', () => {
    // As above: each enrolled identity's acceptance is 2/3 (a real shot) or 0 (its refused image
    // drawn as the shot), strangers are all rejected; so each repeat scores (2/3)^6 or 0.
    const data = clusters(9, 4, 0.005).map((images) => images.map((v, j) => (j === 3 ? null : v)));
    const repeats = 20;
    const r = evaluateIdentify(data, names(9), { shots: 1, repeats, curve: CURVE });
    const passing = (r.allRight * repeats) / (2 / 3) ** 6;
    expect(passing).toBeCloseTo(Math.round(passing), 9);
    expect(Math.round(passing)).toBeGreaterThan(0);
    expect(Math.round(passing)).toBeLessThan(repeats);
  });

  it('decides at a fixed threshold when one is given', () => {
    const r = evaluateIdentify(clusters(9, 4, 0.005), names(9), { shots: 1, repeats: 2, curve: CURVE, fixedThreshold: 1e-9 });
    expect(r).toMatchObject({ threshold: 1e-9, tar: 0, far: 0, allRight: 0, rank1: 1 });
  });

  it('counts K-shot queries and keeps rank1 independent of the threshold', () => {
    const strict: CalibrationCurve = { distances: [0, 1e-6, 2], far: [0, 1, 1], tar: [0, 0, 1] };
    const r = evaluateIdentify(clusters(12, 6, 0.01), names(12), { shots: 5, repeats: 2, curve: strict });
    expect(r).toMatchObject({ rank1: 1, tar: 0, far: 0, queries: 8, strangers: 24 });
  });

  it('accepts every stranger when the threshold admits everything', () => {
    const lax: CalibrationCurve = { distances: [0, 3], far: [0, 0], tar: [0, 1] };
    const r = evaluateIdentify(clusters(6, 3, 0.01), names(6), { shots: 1, repeats: 2, curve: lax });
    expect(r).toMatchObject({ rank1: 1, tar: 1, far: 1, allRight: 0, threshold: 3 });
  });

  it('gives chance-level rank1 and a low AUC on structureless embeddings', () => {
    const rng = createUniform(5);
    const noise = Array.from({ length: 30 }, () => Array.from({ length: 4 }, () => normalise(Float32Array.from({ length: 16 }, () => gaussian(rng)))));
    const r = evaluateIdentify(noise, names(30), { shots: 1, repeats: 3, curve: CURVE });
    expect(r.rank1).toBeLessThan(0.25);
    // Impostor score = distance to the NEAREST of 20 identities, genuine = to its own one: with no
    // structure the minimum of 20 is usually smaller, so the open-set AUC falls below 0.5.
    expect(r.auc).toBeLessThan(0.5);
  });

  it('converts with N = enrolled images by default (stricter for K > 1), with N = identities when asked', () => {
    const data = clusters(12, 6, 0.01);
    const byIdentity = evaluateIdentify(data, names(12), { shots: 5, repeats: 1, curve: CURVE, galleryCount: 'identities' });
    const byImage = evaluateIdentify(data, names(12), { shots: 5, repeats: 1, curve: CURVE });
    // 8 enrolled identities x 5 shots = 40 images: p = 1 - 0.99^(1/40) < 1 - 0.99^(1/8).
    expect(byImage.threshold).toBeLessThan(byIdentity.threshold);
  });

  it('enrols a small gallery of N identities when asked: fewer queries, a looser threshold, the same strangers', () => {
    const data = clusters(12, 6, 0.01);
    const all = evaluateIdentify(data, names(12), { shots: 3, repeats: 2, curve: CURVE });
    const five = evaluateIdentify(data, names(12), { shots: 3, repeats: 2, curve: CURVE, identities: 5 });
    expect(all).toMatchObject({ enrolledIdentities: 8, queries: 8 * 3, strangers: 4 * 6 });
    expect(five).toMatchObject({ enrolledIdentities: 5, queries: 5 * 3, strangers: 4 * 6, rank1: 1, tar: 1, far: 0, allRight: 1 });
    // p = 1 - 0.99^(1/5) > 1 - 0.99^(1/8): a higher pairwise FAR, a larger distance.
    expect(five.threshold).toBeGreaterThan(all.threshold);
  });

  it('refuses a data set too small for the protocol', () => {
    expect(() => evaluateIdentify(clusters(2, 3, 0.01), names(2), { shots: 1, curve: CURVE })).toThrow(/at least 3 identities/);
    expect(() => evaluateIdentify(clusters(6, 3, 0.01), names(6), { shots: 0, curve: CURVE })).toThrow(/shots must be a positive integer/);
  });
});

describe('runIdentify', () => {
  it('reads a folder-per-identity tree made by makeIdentifyFolder, counts refused images, and shapes the JSON', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'identify-'));
    try {
      const made = await makeIdentifyFolder(out, { zipPath: ZIP, alphabets: ['Hebrew'] });
      expect(made).toEqual({ identities: 22, images: 440 });
      await writeFile(path.join(out, 'Hebrew', 'character01', 'broken.png'), Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2));
      const pipeline = pixelPipeline(fakeManifest([0.5, 0.6, 0.7], [0.9, 1.0, 1.1]));
      const json = await runIdentify(out, pipeline, { shots: 1, seed: 0, repeats: 2 }, () => {});
      expect(Object.keys(json)).toEqual(['task', 'shots', 'rank1', 'tar', 'far', 'allRight', 'auc', 'eer', 'threshold', 'queries', 'strangers', 'refused', 'model', 'backend', 'runtime']);
      // 22 characters: 7 strangers x 20 drawings; 15 enrolled x 19 queries, plus the refused
      // broken.png, which still counts (as a wrong query, or a missing shot), never dropped.
      expect(json.queries + json.strangers + 15).toBe(441);
      expect(json).toMatchObject({ task: 'identify', shots: 1, queries: 286, strangers: 140, refused: 1, model: 'pixels-test', backend: 'none', runtime: 'none' });
      // Raw pixels are weak but far above 1-in-15 chance (0.198 on these draws).
      expect(json.rank1).toBeGreaterThan(0.15);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
