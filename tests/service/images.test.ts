// Enrolment rules against the real service: duplicates (same identity idempotent, twice in one
// request rejected, another identity 409 with nothing stored), rejected inputs, scope and roles,
// image file, move and delete.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOmniglotEntries, type OmniglotEntry } from '@/lib/datasets/omniglot';
import { decodeVector } from '@/lib/matching/runtime/vectors';
import { OMNIGLOT_ZIP, snapshotState, startDefaultHarness, type Harness } from './harness';

const ADMIN = { actor: 'system', role: 'admin' as const, collectionId: null };
let h: Harness;
let drawings: OmniglotEntry[];
let collectionId: string;
let alice: string;
let bob: string;

function file(e: OmniglotEntry) {
  return { name: path.basename(e.path), bytes: e.bytes };
}

beforeAll(async () => {
  h = await startDefaultHarness();
  drawings = readOmniglotEntries(new Uint8Array(readFileSync(OMNIGLOT_ZIP)), ['Greek']).filter((e) => e.character === 'character01' || e.character === 'character02');
  collectionId = (await h.svc.createCollection(ADMIN, { name: 'rules', kind: 'object', domain: 'drawings' })).id;
  alice = (await h.svc.createIdentity(ADMIN, collectionId, { name: 'alice', externalId: 'a-1' })).id;
  bob = (await h.svc.createIdentity(ADMIN, collectionId, { name: 'bob' })).id;
});

afterAll(async () => {
  await h?.stop();
});

describe('enrollImages', () => {
  it('enrolls, and answers a retry of the same bytes with the same image and verdict duplicate', async () => {
    const first = await h.svc.enrollImages(ADMIN, alice, [file(drawings[0]), file(drawings[1])]);
    expect(first.rejected).toEqual([]);
    expect(first.enrolled.map((e) => e.verdicts)).toEqual([[], []]);
    const before = await snapshotState(h, collectionId);
    const retry = await h.svc.enrollImages(ADMIN, alice, [file(drawings[0]), file(drawings[1])]);
    expect(retry.enrolled).toEqual(first.enrolled.map((e) => ({ ...e, verdicts: ['duplicate'] })));
    expect(await snapshotState(h, collectionId)).toEqual(before);
  });

  it('rejects the same bytes twice in one request as duplicate', async () => {
    const res = await h.svc.enrollImages(ADMIN, alice, [file(drawings[2]), { ...file(drawings[2]), name: 'again.png' }]);
    expect(res.enrolled).toHaveLength(1);
    expect(res.rejected).toEqual([{ file: 'again.png', reason: 'duplicate', detail: expect.any(String) }]);
  });

  it('fails the whole request with 409 when bytes belong to another identity, storing nothing', async () => {
    const before = await snapshotState(h, collectionId);
    const err = await h.svc.enrollImages(ADMIN, bob, [file(drawings[20]), file(drawings[0])]).catch((e) => e);
    expect(err).toMatchObject({ name: 'ConflictError', code: 'conflict', details: { file: path.basename(drawings[0].path), identityId: alice } });
    expect(await snapshotState(h, collectionId)).toEqual(before);
  });

  it.each([
    { name: 'garbage bytes', bytes: new TextEncoder().encode('not an image at all'), reason: 'undecodable' },
    { name: 'zero bytes', bytes: new Uint8Array(0), reason: 'undecodable' },
    { name: 'truncated PNG', bytes: null, reason: 'undecodable' },
    { name: 'SVG', bytes: new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>'), reason: 'unsupported_type' },
  ])('rejects $name as $reason and stores nothing', async ({ name, bytes, reason }) => {
    const before = await snapshotState(h, collectionId);
    const data = bytes ?? drawings[30].bytes.subarray(0, 200);
    const res = await h.svc.enrollImages(ADMIN, bob, [{ name, bytes: data }]);
    expect(res).toEqual({ enrolled: [], rejected: [{ file: name, reason, detail: expect.any(String) }] });
    expect(await snapshotState(h, collectionId)).toEqual(before);
  });
});

describe('search on an empty collection', () => {
  it('answers unknown with no distance', async () => {
    const empty = await h.svc.createCollection(ADMIN, { name: 'empty', kind: 'object', domain: 'drawings' });
    const res = await h.svc.search(ADMIN, empty.id, drawings[3].bytes);
    expect(res).toEqual({
      modelVersion: empty.modelVersion,
      results: [{ decision: { match: false, identityId: null, name: null, distance: null, threshold: empty.threshold.distance }, neighbours: [] }],
    });
    await expect(h.svc.search(ADMIN, empty.id, drawings[3].bytes, { k: 0 })).rejects.toMatchObject({ code: 'invalid_k' });
    await expect(h.svc.search(ADMIN, empty.id, new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ name: 'InputError', code: 'undecodable' });
  });
});

describe('thresholds and audit settings', () => {
  it('pins an override to the model version and clears it', async () => {
    const c = await h.svc.updateCollection(ADMIN, collectionId, { thresholdOverride: 0.42 });
    expect(c.threshold).toEqual({ distance: 0.42, source: 'override', identities: 1, images: 3, comparisons: null, trials: 0, predictedFar: { value: null, lo: null, hi: null } });
    const cleared = await h.svc.updateCollection(ADMIN, collectionId, { thresholdOverride: null, targetFar: 0.001 });
    expect(cleared.threshold.source).toBe('model');
    expect(cleared.targetFar).toBe(0.001);
    await expect(h.svc.updateCollection(ADMIN, collectionId, { thresholdOverride: 3 })).rejects.toMatchObject({ code: 'invalid_threshold' });
  });

  it('keeps a collection search ef, searches with it, and refuses one out of range', async () => {
    const c = await h.svc.updateCollection(ADMIN, collectionId, { settings: { ef: 400 } });
    expect(c.settings).toEqual({ ef: 400 });
    expect((await h.svc.getCollection(ADMIN, collectionId)).settings).toEqual({ ef: 400 });
    const res = await h.svc.search(ADMIN, collectionId, drawings[0].bytes);
    expect(res.results[0].decision).toMatchObject({ match: true, identityId: alice });
    for (const ef of [0, 1.5, 5000]) {
      await expect(h.svc.updateCollection(ADMIN, collectionId, { settings: { ef } })).rejects.toMatchObject({ name: 'InputError', code: 'invalid_settings' });
    }
    expect((await h.svc.updateCollection(ADMIN, collectionId, { settings: {} })).settings).toEqual({});
  });

  it('keeps and changes the audit retention', async () => {
    expect(await h.svc.getAuditRetention(ADMIN)).toEqual({ retentionDays: 365 });
    expect(await h.svc.setAuditRetention(ADMIN, 30)).toEqual({ retentionDays: 30, pruned: 0 });
    expect(await h.svc.getAuditRetention(ADMIN)).toEqual({ retentionDays: 30 });
  });
});

describe('scope and roles', () => {
  it('forbids a key scoped to another collection and a user creating collections', async () => {
    const other = { actor: 'key:x', role: 'user' as const, collectionId: 'another' };
    await expect(h.svc.getCollection(other, collectionId)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(h.svc.enrollImages(other, alice, [file(drawings[5])])).rejects.toMatchObject({ code: 'forbidden' });
    await expect(h.svc.createCollection({ ...other, collectionId: null }, { name: 'x', kind: 'object', domain: 'drawings' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(h.svc.listAudit({ ...other, collectionId: null })).rejects.toMatchObject({ code: 'forbidden' });
    const scoped = await h.svc.listCollections({ ...other, collectionId });
    expect(scoped.items.map((c) => c.id)).toEqual([collectionId]);
  });

  it('answers typed not-found and conflict errors', async () => {
    await expect(h.svc.getIdentity(ADMIN, 'nope')).rejects.toMatchObject({ name: 'NotFoundError', code: 'identity_not_found' });
    await expect(h.svc.createIdentity(ADMIN, collectionId, { name: 'x', externalId: 'a-1' })).rejects.toMatchObject({ code: 'conflict' });
    await expect(h.svc.createCollection(ADMIN, { name: 'rules', kind: 'object', domain: 'drawings' })).rejects.toMatchObject({ code: 'conflict' });
    await expect(h.svc.createCollection(ADMIN, { name: 'faces', kind: 'face', settings: { detect: 'sometimes' as never } })).rejects.toMatchObject({ name: 'InputError', code: 'invalid_settings' });
  });
});

describe('images', () => {
  it('serves the original bytes, moves and deletes an image', async () => {
    const { enrolled } = await h.svc.enrollImages(ADMIN, bob, [file(drawings[25])]);
    const imageId = enrolled[0].imageId;
    const f = await h.svc.getImageFile(ADMIN, imageId);
    expect(f.contentType).toBe('image/png');
    expect(Buffer.from(await new Response(f.body).arrayBuffer()).equals(Buffer.from(drawings[25].bytes))).toBe(true);

    const moved = await h.svc.moveImage(ADMIN, imageId, alice);
    expect(moved.identityId).toBe(alice);
    const hit = await h.svc.search(ADMIN, collectionId, drawings[25].bytes, { k: 1 });
    // The shipped model scores an identity by its centroid: the distance from the drawing's stored
    // embedding to the normalised sum of alice's, computed here from the rows.
    const rows = await h.svc.getRuntime().db.embedding.findMany({ where: { image: { identityId: alice } }, select: { imageId: true, vector: true } });
    const own = decodeVector(rows.find((r) => r.imageId === imageId)!.vector);
    const sum = rows.map((r) => decodeVector(r.vector)).reduce((acc, v) => acc.map((x, k) => x + v[k]), new Array<number>(own.length).fill(0));
    const norm = Math.hypot(...sum);
    const centroidDistance = Math.hypot(...sum.map((x, k) => x / norm - own[k]));
    expect(rows.length).toBeGreaterThan(1);
    expect(hit.results[0].neighbours[0]).toMatchObject({ identityId: alice, distance: expect.closeTo(centroidDistance, 4) });
    // Verify against the identity scores it alike.
    const withIt = await h.svc.verifyIdentity(ADMIN, alice, drawings[25].bytes);
    expect(withIt.distance).toBeCloseTo(centroidDistance, 4);

    const before = await snapshotState(h, collectionId);
    await h.svc.deleteImage(ADMIN, imageId);
    const after = await snapshotState(h, collectionId);
    expect(after).toMatchObject({ images: before.images - 1, blobs: before.blobs - 1, index: before.index - 1, head: before.head + 1 });
    expect(after.storedBlobs).toHaveLength(before.storedBlobs.length - 1);
    // Alice's centroid no longer holds the drawing: it is farther from it.
    expect((await h.svc.verifyIdentity(ADMIN, alice, drawings[25].bytes)).distance).toBeGreaterThan(withIt.distance + 1e-4);
    await expect(h.svc.getImageFile(ADMIN, imageId)).rejects.toMatchObject({ code: 'image_not_found' });
  });

  it('pages through images and identities', async () => {
    const p1 = await h.svc.listImages(ADMIN, alice, { limit: 2 });
    expect(p1.items).toHaveLength(2);
    const p2 = await h.svc.listImages(ADMIN, alice, { limit: 2, cursor: p1.nextCursor });
    expect(p2.items.map((i) => i.id)).not.toContain(p1.items[0].id);
    const ids = await h.svc.listIdentities(ADMIN, collectionId, { limit: 1 });
    expect(ids.nextCursor).not.toBeNull();
    const q = await h.svc.listIdentities(ADMIN, collectionId, { q: 'bo' });
    expect(q.items.map((i) => i.name)).toEqual(['bob']);
    await expect(h.svc.listImages(ADMIN, alice, { cursor: 'garbage' })).rejects.toMatchObject({ code: 'invalid_cursor' });
  });

  it('rebuilds the index on request with the same content', async () => {
    const before = await snapshotState(h, collectionId);
    const res = await h.svc.rebuildIndex(ADMIN, collectionId);
    expect(res).toEqual({ size: before.index, lastSequence: before.head });
    const hit = await h.svc.search(ADMIN, collectionId, drawings[0].bytes, { k: 1 });
    const verified = await h.svc.verifyIdentity(ADMIN, alice, drawings[0].bytes);
    expect(hit.results[0].neighbours[0]).toMatchObject({ identityId: alice, distance: expect.closeTo(verified.distance, 6) });
  });

  it('verifies a pair and an image against an identity', async () => {
    const same = await h.svc.verifyIdentity(ADMIN, alice, drawings[0].bytes);
    // One of alice's own drawings: within the threshold, though not at 0 (her centroid averages her drawings).
    expect(same).toMatchObject({ same: true, distance: expect.any(Number) });
    expect(same.distance).toBeGreaterThan(0);
    const pair = await h.svc.verifyPair(ADMIN, collectionId, drawings[0].bytes, drawings[0].bytes);
    expect(pair.same).toBe(true);
    expect(pair.threshold).toBeGreaterThan(0);
  });
});

describe('concurrent writers', () => {
  it('allocates gap-free sequences and keeps the index equal to the database', async () => {
    const ids = await Promise.all([0, 1, 2, 3].map((i) => h.svc.createIdentity(ADMIN, collectionId, { name: `c${i}` })));
    const before = await snapshotState(h, collectionId);
    // Four enrolments and a delete racing on one collection.
    const victim = (await h.svc.listImages(ADMIN, alice, { limit: 1 })).items[0].id;
    const results = await Promise.all([
      ...ids.map((who, i) => h.svc.enrollImages(ADMIN, who.id, [file(drawings[31 + 2 * i]), file(drawings[32 + 2 * i])])),
      h.svc.deleteImage(ADMIN, victim),
    ]);
    expect(results.slice(0, 4).every((r) => r && 'enrolled' in r && r.enrolled.length === 2)).toBe(true);
    const { db } = h.svc.getRuntime();
    const changes = await db.change.findMany({ where: { collectionId }, orderBy: { sequence: 'asc' }, select: { sequence: true } });
    expect(changes.map((c) => c.sequence)).toEqual(changes.map((_, i) => i + 1));
    const after = await snapshotState(h, collectionId);
    expect(after).toMatchObject({ images: before.images + 7, head: before.head + 9, index: before.index + 7 });
  });

  it('lets exactly one of two racing enrolments of the same bytes win; the loser stores nothing', async () => {
    const before = await snapshotState(h, collectionId);
    const bytes = drawings[39];
    const settled = await Promise.allSettled([h.svc.enrollImages(ADMIN, alice, [file(bytes)]), h.svc.enrollImages(ADMIN, bob, [file(bytes)])]);
    expect(settled.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = settled.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toMatchObject({ name: 'ConflictError', code: 'conflict' });
    const after = await snapshotState(h, collectionId);
    expect(after).toMatchObject({ images: before.images + 1, blobs: before.blobs + 1, index: before.index + 1, head: before.head + 1 });
    expect(after.storedBlobs).toHaveLength(before.storedBlobs.length + 1);
  });
});
