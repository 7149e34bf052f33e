// The photo model's base set for a retrain (lib/matching/models/retrain-sources.ts): the products the
// current model trained on, and those it calibrated on, found as folders of the base root, without
// the gallery's identities, as cached backbone features of real grocery-store photos.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initTf } from '@/lib/embedder/backend';
import { readManifest, type ModelManifest } from '@/lib/embedder/manifest';
import { openModelSource, type ModelSource } from '@/lib/matching/models/retrain-sources';
import { TEST_BACKEND } from '../helpers/backend';
import { GROCERY_STORE } from '../helpers/data';

const MODEL_DIR = path.resolve(import.meta.dirname, '../../models/object/photos-2026-12-05-259d');
const PHOTOS = 2;
let tmp: string;
let root: string;
let manifest: ModelManifest;
let source: ModelSource;

beforeAll(async () => {
  const { tf } = await initTf(TEST_BACKEND);
  manifest = await readManifest(MODEL_DIR);
  tmp = mkdtempSync(path.join(tmpdir(), 'retrain-base-'));
  root = path.join(tmp, 'images');
  // Three products the model trained on, two it calibrated on and one it did neither with, 2 photos each.
  const other = readdirSync(GROCERY_STORE).sort().find((p) => !manifest.data.train.includes(p) && !manifest.data.heldOut.includes(p))!;
  for (const product of [...manifest.data.train.slice(0, 3), ...manifest.data.heldOut.slice(0, 2), other]) {
    mkdirSync(path.join(root, product), { recursive: true });
    for (const f of readdirSync(path.join(GROCERY_STORE, product)).sort().slice(0, PHOTOS)) copyFileSync(path.join(GROCERY_STORE, product, f), path.join(root, product, f));
  }
  source = await openModelSource({ tf, kind: 'object', dir: MODEL_DIR, manifest, detect: 'auto', cacheDir: path.join(tmp, 'cache') });
}, 120_000);

afterAll(() => {
  source?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('a photo model source', () => {
  it("loads the current model's training and calibration products found under the root, minus the gallery's names, through the feature cache", async () => {
    const [a, b, c] = manifest.data.train;
    const [d, e] = manifest.data.heldOut;
    const base = await source.loadBase(root, new Set([c, e, 'a gallery product']));
    expect(base!.names).toEqual([a, b].sort((x, y) => x.localeCompare(y, 'en', { numeric: true })));
    expect(base!.dataset.identities.map((i) => [i.identity, i.images.length, i.images[0].length])).toEqual(base!.names.map((n) => [n, PHOTOS, 320]));
    expect(base!.calibration!.names).toEqual([d]);
    expect(base!.calibration!.dataset.identities.map((i) => [i.identity, i.images.length])).toEqual([[d, PHOTOS]]);
    // The manifest shows the base set by name, never by the server's path.
    expect(base!.dataset.name).toBe(`grocery-store (2 training products of ${manifest.version})`);
    expect(base!.calibration!.dataset.name).toBe(`grocery-store (1 calibration products of ${manifest.version})`);
    expect(source.report()).toMatchObject({ baseFeatures: { backboneRuns: 3 * PHOTOS, cachedFeatures: 0 } });
    const again = await source.loadBase(root, new Set([c, e]));
    expect(source.report()).toMatchObject({ baseFeatures: { backboneRuns: 0, cachedFeatures: 3 * PHOTOS } });
    again!.dataset.identities.forEach((id, k) => expect(id.images).toEqual(base!.dataset.identities[k].images));
  }, 120_000);

  it('has no calibration part without calibration products, and no base set when fewer than 2 training products remain', async () => {
    const [d, e] = manifest.data.heldOut;
    expect((await source.loadBase(root, new Set([d, e])))!.calibration).toBeUndefined();
    const [a, b] = manifest.data.train;
    expect(await source.loadBase(root, new Set([a, b]))).toBeNull();
  }, 60_000);
});
