import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFolderImages, loadFolderDataset } from '@/lib/datasets/folder';
import { encodePng } from '@/lib/imaging';

const SPEC = { inputSizePx: 8, channels: 1, invert: false, fit: 'fill' } as const;
let root: string;

/** A grey square PNG of constant value (so each file can be recognised after preprocessing). */
async function png(value: number): Promise<Uint8Array> {
  return new Uint8Array(await encodePng({ width: 12, height: 12, channels: 1, data: new Uint8Array(144).fill(value), format: 'png' }));
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'folder-ds-'));
  // A PGM named .jpg: the format comes from the bytes, never from the name.
  const pgm = new Uint8Array([...new TextEncoder().encode('P5\n4 4\n255\n'), ...new Uint8Array(16).fill(200)]);
  await mkdir(path.join(root, 'alice'));
  await mkdir(path.join(root, 'Korean', 'character01'), { recursive: true });
  await mkdir(path.join(root, '.cache'));
  await writeFile(path.join(root, 'alice', 'a1.png'), await png(10));
  await writeFile(path.join(root, 'alice', 'no-extension'), await png(20));
  await writeFile(path.join(root, 'alice', 'photo.jpg'), pgm);
  await writeFile(path.join(root, 'alice', 'notes.txt'), 'not an image');
  await writeFile(path.join(root, 'alice', '.hidden.png'), await png(30));
  await writeFile(path.join(root, '.cache', 'x.png'), await png(40));
  await writeFile(path.join(root, 'Korean', 'character01', '0001_01.png'), await png(50));
  // An archive acts as a folder named like it: bob/, plus nested/carol/ inside it.
  const archive = zipSync({
    'bob/1.png': await png(60),
    'bob/2.png': await png(70),
    'nested/carol/1.png': await png(80),
    '__MACOSX/bob/._1.png': Uint8Array.of(0, 5, 22, 7),
  });
  await writeFile(path.join(root, 'people.zip'), archive);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('listFolderImages', () => {
  it('finds images by bytes in nested folders and archives, skipping hidden and non-image files', async () => {
    const files = await listFolderImages(root);
    expect(files.map((f) => [f.identity, f.source])).toEqual([
      ['alice', 'alice/a1.png'],
      ['alice', 'alice/no-extension'],
      ['alice', 'alice/photo.jpg'],
      ['Korean/character01', 'Korean/character01/0001_01.png'],
      ['people/bob', 'people.zip!bob/1.png'],
      ['people/bob', 'people.zip!bob/2.png'],
      ['people/nested/carol', 'people.zip!nested/carol/1.png'],
    ]);
  });

  it('reads a .zip given as the root', async () => {
    const files = await listFolderImages(path.join(root, 'people.zip'));
    expect(files.map((f) => f.identity)).toEqual(['bob', 'bob', 'nested/carol']);
  });

  it.each([
    { name: 'image directly in the root', file: 'loose.png', bytes: () => png(1), error: /directly in the root/ },
    { name: 'refused type (TIFF)', file: 'alice/scan.tif', bytes: async () => Uint8Array.of(0x49, 0x49, 0x2a, 0, 8, 0, 0, 0), error: /alice\/scan.tif: .*TIFF/ },
  ])('refuses $name', async ({ file, bytes, error }) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'folder-bad-'));
    try {
      await mkdir(path.join(dir, 'alice'));
      await writeFile(path.join(dir, 'alice', 'ok.png'), await png(5));
      await writeFile(path.join(dir, file), await bytes());
      await expect(listFolderImages(dir)).rejects.toThrow(error);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a missing root and a root without images', async () => {
    await expect(listFolderImages(path.join(root, 'nope'))).rejects.toThrow(/found nothing/);
    const empty = await mkdtemp(path.join(tmpdir(), 'folder-empty-'));
    await expect(listFolderImages(empty)).rejects.toThrow(/found none/);
    await rm(empty, { recursive: true });
  });
});

describe('loadFolderDataset', () => {
  it('groups preprocessed images by identity with the parent folder as group', async () => {
    const ds = await loadFolderDataset(root, SPEC);
    expect(ds.name).toBe(path.basename(root));
    expect(ds.identities.map((i) => [i.identity, i.group, i.images.length])).toEqual([
      ['alice', '', 3],
      ['Korean/character01', 'Korean', 1],
      ['people/bob', 'people', 2],
      ['people/nested/carol', 'people/nested', 1],
    ]);
    const bob = ds.identities[2].images;
    expect(bob[0]).toHaveLength(64);
    expect(bob[0][0]).toBeCloseTo(60 / 255, 2);
    expect(bob[1][0]).toBeCloseTo(70 / 255, 2);
    expect(ds.identities[0].images[2][0]).toBeCloseTo(200 / 255, 2);
  });
});
