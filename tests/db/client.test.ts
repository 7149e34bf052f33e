import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDbTarget, type Db } from '@/lib/db/client';
import { openMigratedTestDb, suiteProvider } from '../helpers/db';

describe('resolveDbTarget', () => {
  it.each([
    { name: 'default is SQLite under DATA_DIR', input: [undefined, '/d'], expected: { provider: 'sqlite', url: '/d/fewshot.db' } },
    { name: 'file: URL', input: ['file:/x/y.db', '/d'], expected: { provider: 'sqlite', url: '/x/y.db' } },
    { name: 'postgresql URL', input: ['postgresql://u@h/db', '/d'], expected: { provider: 'postgresql', url: 'postgresql://u@h/db' } },
    { name: 'postgres URL', input: ['postgres://u@h/db', '/d'], expected: { provider: 'postgresql', url: 'postgres://u@h/db' } },
  ] as const)('$name', ({ input, expected }) => {
    expect(resolveDbTarget(input[0], input[1])).toEqual(expected);
  });

  it('refuses another scheme, naming what it got', () => {
    expect(() => resolveDbTarget('mysql://h/db', '/d')).toThrow(/postgresql:\/\/ or file:, got "mysql:"/);
  });
});

describe(`openDb on ${suiteProvider()}`, () => {
  let db: Db;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ db, close } = await openMigratedTestDb());
  });
  afterAll(() => close());

  it('round-trips every column type: JSON, bytes, floats, dates', async () => {
    const collection = await db.collection.create({
      data: { name: 'c1', kind: 'object', modelVersion: 'v1', settings: { detect: 'auto' } },
    });
    const identity = await db.identity.create({ data: { collectionId: collection.id, name: 'A', metadata: { tags: ['x'], n: 1 } } });
    const blob = await db.blob.create({ data: { sha256: 'ab'.repeat(32), sizeBytes: 10, format: 'png', width: 2, height: 3 } });
    const image = await db.image.create({
      data: { collectionId: collection.id, identityId: identity.id, blobId: blob.id, seq: 1, verdicts: ['whole_image'], box: { x: 1, y: 2, width: 3, height: 4 } },
    });
    const vector = Buffer.from(new Float32Array([0.5, -0.25, 1e-7]).buffer);
    await db.embedding.create({ data: { imageId: image.id, modelVersion: 'v1', dim: 3, vector } });

    const back = await db.image.findUniqueOrThrow({ where: { id: image.id }, include: { embeddings: true, identity: true } });
    expect(back.verdicts).toEqual(['whole_image']);
    expect(back.box).toEqual({ x: 1, y: 2, width: 3, height: 4 });
    expect(back.identity.metadata).toEqual({ tags: ['x'], n: 1 });
    const stored = back.embeddings[0].vector;
    expect(Array.from(new Float32Array(stored.buffer, stored.byteOffset, 3))).toEqual(Array.from(new Float32Array([0.5, -0.25, 1e-7])));
    expect(collection.targetFar).toBeCloseTo(0.01, 12);
    expect(back.createdAt).toBeInstanceOf(Date);
  });

  it('enforces uniqueness: one external id per collection, one image per blob per collection', async () => {
    const c = await db.collection.create({ data: { name: 'c2', kind: 'face', modelVersion: 'v1', settings: {} } });
    await db.identity.create({ data: { collectionId: c.id, name: 'A', externalId: 'e1' } });
    await expect(db.identity.create({ data: { collectionId: c.id, name: 'B', externalId: 'e1' } })).rejects.toMatchObject({ code: 'P2002' });
  });

  it('cascades a collection delete to identities, images, embeddings and changes, keeping blobs', async () => {
    const c = await db.collection.create({ data: { name: 'c3', kind: 'object', modelVersion: 'v1', settings: {} } });
    const i = await db.identity.create({ data: { collectionId: c.id, name: 'A' } });
    const b = await db.blob.create({ data: { sha256: 'cd'.repeat(32), sizeBytes: 1, format: 'png', width: 1, height: 1 } });
    const img = await db.image.create({ data: { collectionId: c.id, identityId: i.id, blobId: b.id, seq: 1, verdicts: [] } });
    await db.embedding.create({ data: { imageId: img.id, modelVersion: 'v1', dim: 1, vector: Buffer.alloc(4) } });
    await db.change.create({ data: { collectionId: c.id, sequence: 1, op: 'add', imageSeq: 1 } });
    await db.collection.delete({ where: { id: c.id } });
    expect(await db.identity.count({ where: { collectionId: c.id } })).toBe(0);
    expect(await db.image.count({ where: { collectionId: c.id } })).toBe(0);
    expect(await db.embedding.count({ where: { imageId: img.id } })).toBe(0);
    expect(await db.change.count({ where: { collectionId: c.id } })).toBe(0);
    expect(await db.blob.count({ where: { id: b.id } })).toBe(1);
  });
});
