import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCohort, writeCohort } from '@/lib/embedder/cohort';
import { readManifest } from '@/lib/embedder/manifest';
import { useManifestCopy } from '../helpers/model-dir';

const modelDir = useManifestCopy('models/face/face-plain-2026-11-29-a147', 'cohort');

function unit(i: number): Float32Array {
  const v = new Float32Array(128);
  v[i % 128] = 1;
  return v;
}

const COHORT = [
  { identity: 'bob', vector: unit(0) },
  { identity: 'alice', vector: unit(1) },
  { identity: 'bob', vector: unit(2) },
];

describe('cohort file', () => {
  it('round-trips through writeCohort and the manifest pointer', async () => {
    const dir = modelDir();
    const { ref, meta } = await writeCohort(dir, COHORT, 'hand-made');
    expect(meta).toMatchObject({ dim: 128, count: 3, identities: ['alice', 'bob'], rows: [1, 0, 1], source: 'hand-made' });
    const manifest = await readManifest(dir);
    expect(manifest.cohort).toEqual(ref);
    const loaded = await readCohort(dir, manifest);
    expect(loaded?.cohort.map((c) => c.identity)).toEqual(['bob', 'alice', 'bob']);
    loaded?.cohort.forEach((c, i) => expect(Array.from(c.vector)).toEqual(Array.from(COHORT[i].vector)));
  });

  it('is absent when the manifest names none', async () => {
    const dir = modelDir();
    expect(await readCohort(dir, await readManifest(dir))).toBeNull();
  });

  it('refuses vectors whose sha256 does not match cohort.json', async () => {
    const dir = modelDir();
    await writeCohort(dir, COHORT, 'hand-made');
    const file = path.join(dir, 'cohort.f32');
    const bytes = await readFile(file);
    bytes[0] ^= 1;
    await writeFile(file, bytes);
    await expect(readCohort(dir, await readManifest(dir))).rejects.toMatchObject({ code: 'cohort_mismatch' });
  });

  it('refuses a cohort.json whose sha256 does not match the manifest', async () => {
    const dir = modelDir();
    await writeCohort(dir, COHORT, 'hand-made');
    const other = await mkdtemp(path.join(tmpdir(), 'cohort-test-'));
    try {
      await copyFile(path.join(dir, 'manifest.json'), path.join(other, 'manifest.json'));
      await writeCohort(other, COHORT.slice(0, 2), 'another');
      await copyFile(path.join(other, 'cohort.json'), path.join(dir, 'cohort.json'));
      await expect(readCohort(dir, await readManifest(dir))).rejects.toMatchObject({ code: 'cohort_mismatch' });
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
