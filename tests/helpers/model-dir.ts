import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/**
 * Gives each test of the file a temp model folder holding a copy of `model`'s manifest without its
 * pinned-file pointer `field`, removed after the test; returns the folder of the running test.
 */
export function useManifestCopy(model: string, field: 'cohort' | 'openSetTable'): () => string {
  let dir: string | null = null;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), `${field}-test-`));
    const manifest = JSON.parse(await readFile(path.join(model, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    delete manifest[field];
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  });
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = null;
  });
  return () => {
    if (!dir) throw new Error('useManifestCopy: no test is running');
    return dir;
  };
}
