// Retraining through the API (issue 8), on a real gallery of 14 Omniglot characters x 5 drawings:
// a short fine-tuning job in a child process reports progress as server-sent events and ends with
// a candidate model and its comparison with the current one; promote switches the collection's
// model and index (the audit log has the new threshold); an image enrolled after the switch is
// embedded with the old model by rollback; a kept version can be deleted, the current one cannot.
// A cancelled job stays cancelled; a face collection (ORL) trains a head over face descriptors.
import { zipSync } from 'fflate';
import { listFolderImages } from '@/lib/datasets/folder';
import { ORL_ZIP } from '../helpers/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, openApiClient } from './client';
import { ENV_API_KEY, startHttpHarness, type HttpHarness } from './harness';
import { form, omniglot } from './images';
import { followEvents as followJobEvents, waitForJob as waitForJobRow } from './jobs';

let h: HttpHarness;
let api: ApiClient;
const admin = { 'x-api-key': ENV_API_KEY };
let collectionId: string;
let baseVersion: string;
let spare: Uint8Array[];

const JOB_TIMEOUT_MS = 240_000;

beforeAll(async () => {
  h = await startHttpHarness();
  api = await openApiClient(h.routes.openapi);
  const byChar = new Map<string, Uint8Array[]>();
  for (const e of omniglot(['Korean'])) byChar.set(e.character, [...(byChar.get(e.character) ?? []), e.bytes]);
  const chars = [...byChar.entries()].slice(0, 15);
  spare = chars[14][1];
  const c = await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name: 'retrain', kind: 'object', domain: 'drawings' } });
  collectionId = c.body.id;
  baseVersion = c.body.modelVersion;
  const zip = zipSync(Object.fromEntries(chars.slice(0, 14).flatMap(([name, drawings]) => drawings.slice(0, 5).map((b, i) => [`${name}/${i}.png`, b]))));
  const r = await api.call(h.routes.importArchive.POST, 'POST /api/collections/{id}/import', { headers: admin, params: { id: collectionId }, form: form('archive', [{ name: 'g.zip', bytes: zip }]) });
  expect(r.body).toMatchObject({ enrolled: 70, rejected: [] });
}, 300_000);

afterAll(async () => {
  await h?.stop();
});

const followEvents = (jobId: string) => followJobEvents(h, jobId);
const waitForJob = (jobId: string) => waitForJobRow(h, api, jobId);

const collection = async () => (await api.call(h.routes.collection.GET, 'GET /api/collections/{id}', { headers: admin, params: { id: collectionId } })).body;
const search = async (bytes: Uint8Array) =>
  (await api.call(h.routes.search.POST, 'POST /api/collections/{id}/search', { headers: admin, params: { id: collectionId }, form: form('image', [{ name: 'q.png', bytes }]) })).body;

describe('retraining, promote and rollback', () => {
  let candidate: string;

  it('refuses settings out of range and a gallery below the minimum at submit, before a job exists', async () => {
    const bad = await api.call(h.routes.retrain.POST, 'POST /api/collections/{id}/retrain', { headers: admin, params: { id: collectionId }, json: { epochs: 0 } });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('invalid_settings');
    // One identity short of the minimum (6 with 2+ images): 5 with two drawings, and a sixth with only one.
    const small = await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name: 'small', kind: 'object', domain: 'drawings' } });
    const drawings = omniglot(['Korean']).slice(0, 11);
    const zip = zipSync(Object.fromEntries(drawings.map((d, i) => [`c${Math.floor(i / 2)}/${i}.png`, d.bytes])));
    const r = await api.call(h.routes.importArchive.POST, 'POST /api/collections/{id}/import', { headers: admin, params: { id: small.body.id }, form: form('archive', [{ name: 's.zip', bytes: zip }]) });
    expect(r.body).toMatchObject({ enrolled: 11, rejected: [] });
    for (const id of [small.body.id, (await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name: 'empty', kind: 'object', domain: 'drawings' } })).body.id]) {
      const refused = await api.call(h.routes.retrain.POST, 'POST /api/collections/{id}/retrain', { headers: admin, params: { id }, json: {} });
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ code: 'gallery_too_small', detail: expect.stringMatching(id === small.body.id ? /this gallery has 5$/ : /this gallery has 0$/) });
      const jobs = await api.call(h.routes.jobs.GET, 'GET /api/jobs', { headers: admin, query: { collectionId: id } });
      expect(jobs.body.items).toEqual([]);
    }
  });

  it('trains a candidate with live progress and compares it with the current model on held-out identities', async () => {
    const started = await api.call(h.routes.retrain.POST, 'POST /api/collections/{id}/retrain', {
      headers: admin, params: { id: collectionId }, json: { epochs: 3, stepsPerEpoch: 12, maxMinutes: 3 },
    });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ type: 'retrain', status: 'queued', collectionId });
    const again = await api.call(h.routes.retrain.POST, 'POST /api/collections/{id}/retrain', { headers: admin, params: { id: collectionId }, json: {} });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('job_running');

    const events = await followEvents(started.body.id);
    const training = events.filter((e) => e.progress?.phase === 'training' && typeof e.progress.step === 'number');
    expect(training.length).toBeGreaterThanOrEqual(2);
    const last = training.at(-1)!.progress;
    expect(last.losses.length).toBeGreaterThanOrEqual(2);
    expect(last.validation.length).toBeGreaterThanOrEqual(1);
    const job = await waitForJob(started.body.id);
    expect(job.status, job.error).toBe('succeeded');
    const { comparison } = job.result;
    candidate = job.result.candidateVersion;
    expect(candidate).not.toBe(baseVersion);
    // 14 identities: 4 evaluate (0.3), 3 calibrate (0.2), 7 train.
    expect(job.result.identities).toEqual({ train: 7, calibration: 3, evaluation: 4, base: 0, baseCalibration: 0 });
    expect(comparison).toMatchObject({ identities: 4, genuineTrials: 20, impostorTrials: 20, targetFar: 0.01 });
    for (const side of [comparison.current, comparison.candidate]) {
      expect(side.auc).toBeGreaterThan(0.5);
      expect(side.tar.lo).toBeLessThanOrEqual(side.tar.value);
      expect(side.tar.hi).toBeGreaterThanOrEqual(side.tar.value);
      expect(side.roc.length).toBeGreaterThan(2);
    }
    expect(comparison.current.version).toBe(baseVersion);
    expect(comparison.aucGain.value).toBeCloseTo(comparison.candidate.auc - comparison.current.auc, 10);
    expect(comparison.gainWithinNoise).toBe(comparison.aucGain.lo <= 0 && comparison.aucGain.hi >= 0);
    // The 7 training characters each keep 4 drawings to train on; the 5th is queried against the rest
    // of the gallery, all 14 characters.
    const trained = job.result.trainedComparison;
    expect(trained).toMatchObject({ identities: 14, genuineTrials: 7, impostorTrials: 7, targetFar: 0.01 });
    expect(trained.current.version).toBe(baseVersion);
    expect(trained.aucGain.value).toBeCloseTo(trained.candidate.auc - trained.current.auc, 10);

    const models = await api.call(h.routes.models.GET, 'GET /api/models', { headers: admin });
    expect(models.body.items.find((m: { version: string }) => m.version === candidate)).toMatchObject({ origin: 'trained', kind: 'object', collections: [] });
    const detail = await api.call(h.routes.model.GET, 'GET /api/models/{version}', { headers: admin, params: { version: candidate } });
    expect(detail.body.manifest.plots).toContain('loss.png');
    // Saved with its ONNX export beside the TF.js files, both pinned (issue 20 item 2).
    expect(detail.body.manifest.artefacts).toMatchObject({ tfjs: { model: { file: 'model.json' }, weights: { file: 'weights.bin' } }, onnx: { file: 'model.onnx' } });
    const plot = await api.call(h.routes.modelPlot.GET, 'GET /api/models/{version}/plots/{name}', { headers: admin, params: { version: candidate, name: 'loss.png' } });
    expect(plot.status).toBe(200);
    expect(Array.from((plot.body as Uint8Array).subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]);
  }, JOB_TIMEOUT_MS);

  it('promotes: switches model and index, records the new threshold, keeps the old version', async () => {
    const before = await search(spare[0]);
    expect(before.modelVersion).toBe(baseVersion);
    const r = await api.call(h.routes.promote.POST, 'POST /api/collections/{id}/promote', { headers: admin, params: { id: collectionId }, json: { modelVersion: candidate } });
    expect(r.status).toBe(202);
    const job = await waitForJob(r.body.id);
    expect(job).toMatchObject({ status: 'succeeded', result: { from: baseVersion, to: candidate, embedded: 70 } });
    expect(await collection()).toMatchObject({ modelVersion: candidate, previousModelVersion: baseVersion });
    expect((await search(spare[0])).modelVersion).toBe(candidate);
    const audit = await api.call(h.routes.audit.GET, 'GET /api/audit', { headers: admin, query: { collectionId, action: 'model.promote' } });
    expect(audit.body.items[0]).toMatchObject({ modelVersion: candidate, threshold: job.result.threshold, details: { from: baseVersion, to: candidate } });
    const kept = await api.call(h.routes.collectionModels.GET, 'GET /api/collections/{id}/models', { headers: admin, params: { id: collectionId } });
    expect(kept.body.items).toEqual(expect.arrayContaining([
      { version: baseVersion, current: false, previous: true, embeddedImages: 70, indexOnDisk: true },
      { version: candidate, current: true, previous: false, embeddedImages: 70, indexOnDisk: true },
    ]));
  }, JOB_TIMEOUT_MS);

  it('rolls back: images enrolled since the switch are embedded with the old model first, deleted ones are gone', async () => {
    // An image deleted under the candidate is gone from the kept index too once the collection is back.
    const first = (await api.call(h.routes.identities.GET, 'GET /api/collections/{id}/identities', { headers: admin, params: { id: collectionId }, query: { limit: 1 } })).body.items[0];
    const image = (await api.call(h.routes.images.GET, 'GET /api/identities/{id}/images', { headers: admin, params: { id: first.id } })).body.items[0];
    const bytes = (await api.call(h.routes.imageFile.GET, 'GET /api/images/{id}/file', { headers: admin, params: { id: image.id } })).body as Uint8Array;
    expect((await search(bytes)).results[0].neighbours[0].distance).toBeLessThan(1e-3);
    expect((await api.call(h.routes.image.DELETE, 'DELETE /api/images/{id}', { headers: admin, params: { id: image.id } })).status).toBe(204);
    const who = await api.call(h.routes.identities.POST, 'POST /api/collections/{id}/identities', { headers: admin, params: { id: collectionId }, json: { name: 'late' } });
    const enrolled = await api.call(h.routes.images.POST, 'POST /api/identities/{id}/images', { headers: admin, params: { id: who.body.id }, form: form('images', spare.slice(1, 3).map((bytes, i) => ({ name: `${i}.png`, bytes }))) });
    expect(enrolled.status).toBe(201);
    const r = await api.call(h.routes.rollback.POST, 'POST /api/collections/{id}/rollback', { headers: admin, params: { id: collectionId } });
    expect(r.status).toBe(202);
    const job = await waitForJob(r.body.id);
    expect(job).toMatchObject({ status: 'succeeded', result: { from: candidate, to: baseVersion, embedded: 2 } });
    expect(await collection()).toMatchObject({ modelVersion: baseVersion, previousModelVersion: candidate });
    const hit = await search(spare[1]);
    expect(hit.modelVersion).toBe(baseVersion);
    expect(hit.results[0].neighbours[0].identityId).toBe(who.body.id);
    expect((await search(bytes)).results[0].neighbours[0].distance).toBeGreaterThan(1e-3);
  }, JOB_TIMEOUT_MS);

  it('deletes a kept version, never the current one', async () => {
    const current = await api.call(h.routes.collectionModel.DELETE, 'DELETE /api/collections/{id}/models/{version}', { headers: admin, params: { id: collectionId, version: baseVersion } });
    expect(current.status).toBe(409);
    expect(current.body.code).toBe('model_in_use');
    const gone = await api.call(h.routes.collectionModel.DELETE, 'DELETE /api/collections/{id}/models/{version}', { headers: admin, params: { id: collectionId, version: candidate } });
    expect(gone.status).toBe(204);
    const kept = await api.call(h.routes.collectionModels.GET, 'GET /api/collections/{id}/models', { headers: admin, params: { id: collectionId } });
    expect(kept.body.items).toEqual(expect.arrayContaining([{ version: candidate, current: false, previous: true, embeddedImages: 0, indexOnDisk: false }]));
    expect(kept.body.items).toEqual(expect.arrayContaining([{ version: baseVersion, current: true, previous: false, embeddedImages: 71, indexOnDisk: true }]));
  });

  it('cancels: the job ends cancelled and stays so', async () => {
    const started = await api.call(h.routes.retrain.POST, 'POST /api/collections/{id}/retrain', { headers: admin, params: { id: collectionId }, json: { epochs: 50 } });
    expect(started.status).toBe(201);
    const cancelled = await api.call(h.routes.cancelJob.POST, 'POST /api/jobs/{id}/cancel', { headers: admin, params: { id: started.body.id } });
    expect(cancelled.body).toMatchObject({ status: 'cancelled' });
    const again = await api.call(h.routes.cancelJob.POST, 'POST /api/jobs/{id}/cancel', { headers: admin, params: { id: started.body.id } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('job_finished');
    // The child's exit (its SIGTERM, or its own stop on the cancelled row) is recorded as `failed`
    // only while the row runs: once that exit is handled, the job still says cancelled.
    await h.svc.processState().childJobs.exited(started.body.id);
    const later = await api.call(h.routes.job.GET, 'GET /api/jobs/{id}', { headers: admin, params: { id: started.body.id } });
    expect(later.body).toMatchObject({ status: 'cancelled', result: null });
  });
});

describe('retraining a face collection', () => {
  it('trains a head over face descriptors and promotes it', async () => {
    const people = [...Array(8).keys()].map((i) => `att_faces/s${i + 1}`);
    const images = (await listFolderImages(ORL_ZIP)).filter((f) => people.includes(f.identity));
    const byPerson = people.map((p) => images.filter((f) => f.identity === p).slice(0, 4));
    const c = await api.call(h.routes.collections.POST, 'POST /api/collections', { headers: admin, json: { name: 'faces retrain', kind: 'face' } });
    const zip = zipSync(Object.fromEntries(byPerson.flatMap((files, i) => files.map((f, j) => [`person${i + 1}/${j}.pgm`, f.bytes]))));
    const r = await api.call(h.routes.importArchive.POST, 'POST /api/collections/{id}/import', { headers: admin, params: { id: c.body.id }, form: form('archive', [{ name: 'f.zip', bytes: zip }]) });
    expect(r.body).toMatchObject({ enrolled: 32 });
    const started = await api.call(h.routes.retrain.POST, 'POST /api/collections/{id}/retrain', { headers: admin, params: { id: c.body.id }, json: { epochs: 2, stepsPerEpoch: 5, learningRate: 0.001 } });
    const job = await waitForJob(started.body.id);
    expect(job.status, job.error).toBe('succeeded');
    expect(job.result.identities).toMatchObject({ train: 4, calibration: 2, evaluation: 2 });
    const detail = await api.call(h.routes.model.GET, 'GET /api/models/{version}', { headers: admin, params: { version: job.result.candidateVersion } });
    expect(detail.body).toMatchObject({ kind: 'face', origin: 'trained', manifest: { input: { type: 'vector', dim: 128 }, architecture: { type: 'mlp' } } });
    const promoted = await api.call(h.routes.promote.POST, 'POST /api/collections/{id}/promote', { headers: admin, params: { id: c.body.id }, json: { modelVersion: job.result.candidateVersion } });
    expect((await waitForJob(promoted.body.id)).result).toMatchObject({ to: job.result.candidateVersion, embedded: 32 });
    const hit = await api.call(h.routes.search.POST, 'POST /api/collections/{id}/search', { headers: admin, params: { id: c.body.id }, form: form('image', [{ name: 'q.pgm', bytes: byPerson[0][0].bytes }]) });
    expect(hit.body.modelVersion).toBe(job.result.candidateVersion);
    expect(hit.body.results[0].neighbours[0].distance).toBeLessThan(1e-3);
  }, JOB_TIMEOUT_MS);
});
