// Face refusals through the REST API (issue 16, section 1): images the detector refuses (ORL crops
// scored too low or with a face too small, and a photo with no face) answer their 422 on search and
// both verifies, with the refusal as `code` and advice in `detail`; `detect: never` embeds them
// anyway; an enrolment batch mixing refused and usable images enrolls the usable ones (201) and
// stores nothing for the refused; a batch of refused images only is the enroll 422 and stores nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, encodePng } from '@/lib/imaging';
import { noiseImage, orlImages, scaled } from '../faces/fixtures';
import { snapshotState } from '../service/harness';
import { ApiClient, openApiClient } from './client';
import { ENV_API_KEY, startHttpHarness, type HttpHarness } from './harness';
import { form } from './images';

// Refused by today's detector and thresholds (BlazeFace, 40 px faces): ORL s13/6 shrunk to 36x36
// (its face measures 29 px), and a 400x360 noise photo, too large for the whole-image fallback of
// auto detection. BlazeFace finds every ORL face at full size (issue 18), so no ORL original is
// refused any more; `low_score` is covered by tests/faces/prepare.test.ts.
const REFUSED_ORL = { 'small.png': 'face_too_small' } as const;
const GOOD_ORL = ['att_faces/s1/1.pgm', 'att_faces/s1/2.pgm', 'att_faces/s1/3.pgm'];
const ADVICE = /crop less tightly|closer or larger photo/;

let h: HttpHarness;
let api: ApiClient;
const user: Record<string, string> = {};
let collectionId: string;
let identityId: string;
const files = new Map<string, Uint8Array>();

beforeAll(async () => {
  h = await startHttpHarness();
  api = await openApiClient(h.routes.openapi);
  const admin = { 'x-api-key': ENV_API_KEY };
  const key = await api.call(h.routes.keys.POST, 'POST /api/keys', { headers: admin, json: { name: 'app', role: 'user' } });
  user['x-api-key'] = key.body.key;
  for (const f of await orlImages(['att_faces/s1', 'att_faces/s13'])) files.set(f.source.split('!').pop()!, f.bytes);
  files.set('noise.png', new Uint8Array(await encodePng(noiseImage(400, 360, 7))));
  files.set('small.png', new Uint8Array(await encodePng(await scaled(await decodeImage(files.get('att_faces/s13/6.pgm')!), 36))));
  collectionId = (await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name: 'faces', kind: 'face' } })).body.id;
  identityId = (await api.call(h.routes.identities.POST, 'POST /api/collections/{id}/identities', { headers: user, params: { id: collectionId }, json: { name: 's1' } })).body.id;
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

const file = (name: string) => ({ name: name.split('/').pop()!, bytes: files.get(name)! });
const refused = [...Object.entries(REFUSED_ORL), ['noise.png', 'no_face']] as [string, string][];

describe('enrolment with refused faces', () => {
  it('enrolls the usable images of a mixed batch (201) and lists each refused one with its reason', async () => {
    const before = await snapshotState(h, collectionId);
    const res = await api.call(h.routes.images.POST, 'POST /api/identities/{id}/images', {
      headers: user, params: { id: identityId }, form: form('images', [file(GOOD_ORL[0]), ...refused.map(([n]) => file(n)), file(GOOD_ORL[1])]),
    });
    expect(res.status).toBe(201);
    expect(res.body.enrolled).toHaveLength(2);
    expect(res.body.rejected.map((r: { file: string; reason: string }) => [r.file, r.reason])).toEqual(refused.map(([n, reason]) => [n.split('/').pop(), reason]));
    for (const r of res.body.rejected) expect(r.detail).toMatch(ADVICE);
    const after = await snapshotState(h, collectionId);
    expect(after.images - before.images).toBe(2);
    expect(after.embeddings - before.embeddings).toBe(2);
    expect(after.index - before.index).toBe(2);
  });

  it('answers the enroll 422 with the same reasons when every image is refused, and stores nothing', async () => {
    const before = await snapshotState(h, collectionId);
    const res = await api.call(h.routes.images.POST, 'POST /api/identities/{id}/images', {
      headers: user, params: { id: identityId }, form: form('images', refused.map(([n]) => file(n))),
    });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('enroll_rejected');
    expect(res.body.rejected.map((r: { reason: string }) => r.reason)).toEqual(refused.map(([, reason]) => reason));
    expect(await snapshotState(h, collectionId)).toEqual(before);
  });
});

describe.each(refused)('a query the detector refuses: %s', (name, reason) => {
  it(`search answers 422 ${reason} with advice, and with detect=never searches the whole image`, async () => {
    const before = await snapshotState(h, collectionId);
    const res = await api.call(h.routes.search.POST, 'POST /api/collections/{id}/search', { headers: user, params: { id: collectionId }, form: form('image', [file(name)]) });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: reason, status: 422 });
    expect(res.body.detail).toMatch(ADVICE);
    expect(await snapshotState(h, collectionId)).toEqual(before);
    const whole = form('image', [file(name)]);
    whole.append('detect', 'never');
    const ok = await api.call(h.routes.search.POST, 'POST /api/collections/{id}/search', { headers: user, params: { id: collectionId }, form: whole });
    expect(ok.status).toBe(200);
    expect(ok.body.results).toHaveLength(1);
    expect(ok.body.results[0].box).toBeUndefined();
  });

  it(`both verifies answer 422 ${reason}`, async () => {
    const pair = form('a', [file(GOOD_ORL[2])]);
    pair.append('b', new File([new Uint8Array(files.get(name)!)], 'b'));
    const res = await api.call(h.routes.verifyPair.POST, 'POST /api/collections/{id}/verify', { headers: user, params: { id: collectionId }, form: pair });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe(reason);
    const one = await api.call(h.routes.verifyIdentity.POST, 'POST /api/identities/{id}/verify', { headers: user, params: { id: identityId }, form: form('image', [file(name)]) });
    expect(one.status).toBe(422);
    expect(one.body.code).toBe(reason);
    const json = await api.call(h.routes.verifyIdentity.POST, 'POST /api/identities/{id}/verify', {
      headers: user, params: { id: identityId }, json: { imageBase64: Buffer.from(files.get(name)!).toString('base64'), detect: 'never' },
    });
    expect(json.status).toBe(200);
  });
});
