// The JSON columns are parsed with zod once, in lib/db: a stored value of the wrong shape is a typed
// `stored_value_invalid` error naming its column and row, never a silently wrong type. The malformed
// values are written through the raw client, as a hand edit or an old writer would leave them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditEntry, findAuditEntries } from '@/lib/db/audit';
import type { Db } from '@/lib/db/client';
import { findCollection } from '@/lib/db/collections';
import { findIdentity } from '@/lib/db/identities';
import { findImage } from '@/lib/db/images';
import { getJob, switchJobParams } from '@/lib/db/jobs';
import { StoredValueError } from '@/lib/errors';
import { openMigratedTestDb, suiteProvider } from '../helpers/db';

/** The typed error a malformed column gives, with its column and row. */
function invalid(column: string, id: string) {
  return expect.objectContaining({ code: 'stored_value_invalid', details: { column, id } });
}

describe(`JSON columns on ${suiteProvider()}`, () => {
  let db: Db;
  let close: () => Promise<void>;
  let seq = 0;

  beforeAll(async () => {
    ({ db, close } = await openMigratedTestDb());
  });
  afterAll(() => close());

  async function image(data: { box?: object; verdicts: object; metadata?: object }) {
    seq++;
    const c = await db.collection.create({ data: { name: `c${seq}`, kind: 'face', modelVersion: 'v1', settings: {} } });
    const i = await db.identity.create({ data: { collectionId: c.id, name: 'A', ...(data.metadata ? { metadata: data.metadata } : {}) } });
    const b = await db.blob.create({ data: { sha256: seq.toString(16).padStart(64, '0'), sizeBytes: 1, format: 'png', width: 1, height: 1 } });
    const img = await db.image.create({ data: { collectionId: c.id, identityId: i.id, blobId: b.id, seq: 1, verdicts: data.verdicts, ...(data.box ? { box: data.box } : {}) } });
    return { collectionId: c.id, identityId: i.id, imageId: img.id };
  }

  it('parses well-formed values into their types', async () => {
    const ids = await image({ box: { x: 1, y: 2, width: 3, height: 4 }, verdicts: ['several_faces'], metadata: { tags: ['x'] } });
    await db.collection.update({ where: { id: ids.collectionId }, data: { settings: { detect: 'never' } } });
    expect((await findCollection(db, ids.collectionId))?.settings).toEqual({ detect: 'never' });
    expect((await findIdentity(db, ids.identityId))?.metadata).toEqual({ tags: ['x'] });
    const img = await findImage(db, ids.imageId);
    expect(img?.box).toEqual({ x: 1, y: 2, width: 3, height: 4 });
    expect(img?.verdicts).toEqual(['several_faces']);
    await createAuditEntry(db, { actor: 'system', action: 'probe.ok', details: { n: 1 } });
    expect((await findAuditEntries(db, { action: 'probe.ok', take: 1 }))[0].details).toEqual({ n: 1 });
  });

  it('refuses a collection whose settings name an unknown detect mode', async () => {
    const { collectionId } = await image({ verdicts: [] });
    await db.collection.update({ where: { id: collectionId }, data: { settings: { detect: 'sometimes' } } });
    const err = await findCollection(db, collectionId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoredValueError);
    expect(err).toEqual(invalid('Collection.settings', collectionId));
  });

  it('refuses an image whose box or verdicts have the wrong shape', async () => {
    const badBox = await image({ box: { x: '1', y: 2 }, verdicts: [] });
    await expect(findImage(db, badBox.imageId)).rejects.toEqual(invalid('Image.box', badBox.imageId));
    const badVerdicts = await image({ verdicts: { several_faces: true } });
    await expect(findImage(db, badVerdicts.imageId)).rejects.toEqual(invalid('Image.verdicts', badVerdicts.imageId));
  });

  it('refuses identity metadata that is not a JSON object', async () => {
    const { identityId } = await image({ verdicts: [], metadata: ['a', 'b'] });
    await expect(findIdentity(db, identityId)).rejects.toEqual(invalid('Identity.metadata', identityId));
  });

  it('refuses audit details that are not a JSON object', async () => {
    const row = await db.auditEntry.create({ data: { actor: 'system', action: 'probe.bad', details: [1, 2] } });
    await expect(findAuditEntries(db, { action: 'probe.bad', take: 1 })).rejects.toEqual(invalid('AuditEntry.details', row.id));
  });

  it('refuses job params of the wrong shape, and a switch job without its versions', async () => {
    const bad = await db.job.create({ data: { type: 'retrain', status: 'queued', params: 'settings' } });
    await expect(getJob(db, bad.id)).rejects.toEqual(invalid('Job.params', bad.id));
    const odd = await db.job.create({ data: { type: 'switch', status: 'queued', params: { to: 'v2', reason: 'sideways' } } });
    const job = await getJob(db, odd.id);
    expect(() => switchJobParams(job)).toThrow(StoredValueError);
    const ok = await db.job.create({ data: { type: 'switch', status: 'queued', params: { from: 'v1', to: 'v2', reason: 'promote', actor: 'system' } } });
    expect(switchJobParams(await getJob(db, ok.id))).toEqual({ from: 'v1', to: 'v2', reason: 'promote', actor: 'system' });
  });
});
