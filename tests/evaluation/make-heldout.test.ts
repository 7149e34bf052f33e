import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHeldOutFolder } from '@/lib/evaluation/make-protocols';
import { encodePng } from '@/lib/imaging';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'heldout-'));
  const png = await encodePng({ width: 2, height: 2, channels: 1, data: Uint8Array.of(0, 64, 128, 255), format: 'png' });
  for (const id of ['a', 'b', 'c', 'd', 'e']) {
    await mkdir(path.join(root, 'src', id), { recursive: true });
    for (const k of [1, 2]) await writeFile(path.join(root, 'src', id, `${k}.png`), png);
  }
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('makeHeldOutFolder', () => {
  it('copies only the identities the model never saw, one folder each', async () => {
    const out = path.join(root, 'out');
    expect(await makeHeldOutFolder(out, { source: path.join(root, 'src'), seen: ['a', 'b'] })).toEqual({ identities: 3, images: 6 });
    expect((await readdir(out)).sort()).toEqual(['c', 'd', 'e']);
    expect((await readdir(path.join(out, 'c'))).sort()).toEqual(['1.png', '2.png']);
  });

  it.each([
    { name: 'a folder the model never trained on', input: ['x', 'y'] },
    { name: 'a folder with under 2 identities left', input: ['a', 'b', 'c', 'd'] },
  ])('refuses $name (invalid_dataset)', async ({ input }) => {
    await expect(makeHeldOutFolder(path.join(root, 'out2'), { source: path.join(root, 'src'), seen: input })).rejects.toMatchObject({ code: 'invalid_dataset' });
  });
});
