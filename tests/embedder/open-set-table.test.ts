import { describe, expect, it } from 'vitest';
import { buildOpenSetTable, pairwiseBound } from '@/lib/calibration';
import { readManifest } from '@/lib/embedder/manifest';
import { readOpenSetTable, writeOpenSetTable } from '@/lib/embedder/open-set-table';
import { useManifestCopy } from '../helpers/model-dir';
import { randomIdentities } from '../helpers/random-identities';

const modelDir = useManifestCopy('models/face/face-plain-2026-11-29-a147', 'openSetTable');

const identities = randomIdentities(12, 3, 8, false, 4);
const measured = () => ({
  ...buildOpenSetTable(identities, { repeats: 2, seed: 0, identities: [1, 2], shots: [1, 2] }),
  bound: pairwiseBound(identities.map((i) => i.vectors), { seed: 0, resamples: 50 }),
});

describe('open-set table file', () => {
  it('round-trips a table with its identity bound through the manifest pointer', async () => {
    const dir = modelDir();
    const table = measured();
    const { ref } = await writeOpenSetTable(dir, table, 'hand-made', identities.map((i) => i.name));
    const manifest = await readManifest(dir);
    expect(manifest.openSetTable).toEqual(ref);
    const file = await readOpenSetTable(dir, manifest);
    expect(file?.table.bound).toEqual(table.bound);
    expect(file?.table.shapes).toEqual(table.shapes);
  });

  it('reads a table written before the bound without one', async () => {
    const dir = modelDir();
    const { bound: _, ...before } = measured();
    await writeOpenSetTable(dir, before, 'hand-made', identities.map((i) => i.name));
    const file = await readOpenSetTable(dir, await readManifest(dir));
    expect(file?.table.bound).toBeUndefined();
  });

  it('refuses a bound whose distances do not match its FARs', async () => {
    const dir = modelDir();
    const table = measured();
    await writeOpenSetTable(dir, { ...table, bound: { ...table.bound, distances: table.bound.distances.slice(1) } }, 'hand-made', identities.map((i) => i.name));
    await expect(readOpenSetTable(dir, await readManifest(dir))).rejects.toMatchObject({ code: 'invalid_open_set_table', message: expect.stringContaining('one distance per FAR') });
  });
});
