import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTf } from '@/lib/embedder/backend';
import { AppError } from '@/lib/errors';
import { FACE_WEIGHT_PINS, faceApiPackageDir, loadFaceModels } from '@/lib/faces/face-api';
import { initTestTf } from './fixtures';

let tamperedDir: string;

beforeAll(async () => {
  await initTestTf();
  tamperedDir = await mkdtemp(path.join(tmpdir(), 'face-weights-'));
  await cp(path.join(faceApiPackageDir(), 'model'), tamperedDir, { recursive: true });
  const file = path.join(tamperedDir, 'face_landmark_68_model.bin');
  const bytes = await readFile(file);
  bytes[1000] ^= 0xff; // one flipped byte: a silently different landmark net
  await writeFile(file, bytes);
});

afterAll(async () => {
  await rm(tamperedDir, { recursive: true, force: true });
});

async function errorOf(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('loadFaceModels', () => {
  it('loads the pinned weights onto the shared TF.js engine, once', async () => {
    const models = await loadFaceModels();
    expect(models.api.tf.engine()).toBe(getTf().engine());
    expect(await loadFaceModels()).toBe(models);
    expect(models.pins.version).toBe('1.7.15');
  });

  it('refuses a weight file whose SHA-256 differs, naming the file, expected and got', async () => {
    const err = await errorOf(loadFaceModels({ weightsDir: tamperedDir }));
    expect(err.code).toBe('face_weights_mismatch');
    expect(err.message).toContain('face_landmark_68_model.bin');
    expect(err.message).toContain(`expected SHA-256 ${FACE_WEIGHT_PINS.sha256['face_landmark_68_model.bin']}`);
    expect(err.details).toMatchObject({ file: 'face_landmark_68_model.bin', expected: FACE_WEIGHT_PINS.sha256['face_landmark_68_model.bin'] });
    expect((err.details as { got: string }).got).toMatch(/^[0-9a-f]{64}$/);
    expect((err.details as { got: string }).got).not.toBe(FACE_WEIGHT_PINS.sha256['face_landmark_68_model.bin']);
  });

  it('refuses pins of another package version', async () => {
    const err = await errorOf(loadFaceModels({ pins: { ...FACE_WEIGHT_PINS, version: '1.7.14' } }));
    expect(err.code).toBe('face_weights_mismatch');
    expect(err.message).toContain('expected @vladmandic/face-api@1.7.14, got @vladmandic/face-api@1.7.15');
  });
});
