// Bulk tools against the running server (issue 6): `npm run enroll` of the 40 ORL people, killed
// half-way and run again, ends with exactly 400 examples and no duplicates; an export imported into
// a second server on a fresh DATA_DIR answers searches as the first does. With face detection on,
// the CLI completes the whole zip, counting the detector's refusals by reason (issue 16).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type APIRequestContext } from '@playwright/test';
import { unzipSync } from 'fflate';
import { E2E_ADMIN_PASSWORD, E2E_API_KEY } from './env';
import { ORL_ZIP } from '../helpers/data';
import { spawnStart } from '../helpers/start';

const headers = { 'x-api-key': E2E_API_KEY };

// The second test exports the collection the first one builds.
test.describe.configure({ mode: 'serial' });

/** Runs `npm run enroll` in its own process group (so the whole tree can be killed). */
function enrollCli(baseURL: string, collection: string, detect: 'never' | 'auto' = 'never'): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn('npm', ['run', '--silent', 'enroll', '--', collection, ORL_ZIP, '--create', '--kind', 'face', '--detect', detect, '--url', baseURL, '--api-key', E2E_API_KEY, '--batch', '4'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return { child, done: new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr }))) };
}

async function findCollection(request: APIRequestContext, name: string, base = ''): Promise<{ id: string; imageCount: number; identityCount: number } | undefined> {
  const page = await (await request.get(`${base}/api/collections?limit=100`, { headers })).json();
  return page.items.find((c: { name: string }) => c.name === name);
}

async function allImages(request: APIRequestContext, collectionId: string, base = ''): Promise<{ identity: string; sha256: string }[]> {
  const out: { identity: string; sha256: string }[] = [];
  const ids = await (await request.get(`${base}/api/collections/${collectionId}/identities?limit=100`, { headers })).json();
  for (const who of ids.items) {
    const imgs = await (await request.get(`${base}/api/identities/${who.id}/images?limit=100`, { headers })).json();
    for (const img of imgs.items) out.push({ identity: who.externalId, sha256: img.sha256 });
  }
  return out;
}

test('npm run enroll: 40 ORL people, killed half-way and run again, ends with exactly 400 examples', async ({ request, baseURL }) => {
  test.setTimeout(600_000);
  const first = enrollCli(baseURL!, 'orl-bulk');
  // Kill the whole CLI process tree once part of the gallery is in.
  for (;;) {
    const c = await findCollection(request, 'orl-bulk');
    if (c && c.imageCount >= 120) break;
    const exited = await Promise.race([first.done.then(() => true), new Promise((r) => setTimeout(() => r(false), 250))]);
    expect(exited, 'the first run should still be going when it is killed').toBe(false);
  }
  process.kill(-first.child.pid!, 'SIGKILL');
  await first.done;
  const half = (await findCollection(request, 'orl-bulk'))!;
  expect(half.imageCount).toBeLessThan(400);

  const second = await enrollCli(baseURL!, 'orl-bulk').done;
  expect(second.code, second.stderr).toBe(0);
  const summary = JSON.parse(second.stdout.trim().split('\n').pop()!);
  expect(summary).toMatchObject({ images: 400, identities: 40, rejected: 0 });
  expect(summary.skipped).toBeGreaterThanOrEqual(half.imageCount - 4); // a batch in flight at the kill may have landed unseen
  expect(summary.enrolled + summary.skipped + summary.duplicates).toBe(400);

  const full = (await findCollection(request, 'orl-bulk'))!;
  expect(full).toMatchObject({ imageCount: 400, identityCount: 40 });
  const images = await allImages(request, full.id);
  expect(images).toHaveLength(400);
  expect(new Set(images.map((i) => i.sha256)).size).toBe(400);
  const perIdentity = new Map<string, number>();
  for (const i of images) perIdentity.set(i.identity, (perIdentity.get(i.identity) ?? 0) + 1);
  expect([...perIdentity.values()]).toEqual(Array(40).fill(10));
});

test('an export imported into a second server on a fresh DATA_DIR answers searches the same way', async ({ request }) => {
  test.setTimeout(600_000);
  const source = (await findCollection(request, 'orl-bulk'))!;
  const exported = await request.get(`/api/collections/${source.id}/export`, { headers });
  expect(exported.status()).toBe(200);
  const archive = await exported.body();
  expect(Object.keys(unzipSync(new Uint8Array(archive))).filter((f) => f.startsWith('images/'))).toHaveLength(400);

  const port = 3900 + Math.floor(Math.random() * 90);
  const base = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'fewshot-e2e-restore-'));
  const server = spawnStart({ ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, ML_BACKEND: 'wasm', API_KEY: E2E_API_KEY, ADMIN_PASSWORD: E2E_ADMIN_PASSWORD }, 'ignore');
  try {
    await expect.poll(async () => (await request.get(`${base}/api/health`).catch(() => null))?.status(), { timeout: 300_000, intervals: [1000] }).toBe(200);
    const created = await request.post(`${base}/api/collections`, { headers, data: { name: 'orl-restored', kind: 'face', settings: { detect: 'never' } } });
    expect(created.status()).toBe(201);
    const target = await created.json();
    const imported = await request.post(`${base}/api/collections/${target.id}/import`, {
      headers,
      multipart: { archive: { name: 'orl-bulk.zip', mimeType: 'application/zip', buffer: archive } },
    });
    expect(imported.status()).toBe(200);
    expect(await imported.json()).toMatchObject({ layout: 'export', identities: { created: 40, existing: 0 }, enrolled: 400, duplicates: 0, rejected: [] });

    // The same queries (one image of every 5th person, and a changed copy) answer the same on both.
    const orl = unzipSync(new Uint8Array(readFileSync(ORL_ZIP)));
    for (const person of [1, 6, 11, 16, 21, 26, 31, 36]) {
      const bytes = Buffer.from(orl[`att_faces/s${person}/${(person % 10) + 1}.pgm`]);
      const answer = async (b: string, id: string) => {
        const r = await request.post(`${b}/api/collections/${id}/search`, { headers, multipart: { image: { name: 'q.pgm', mimeType: 'image/x-portable-graymap', buffer: bytes } } });
        expect(r.status()).toBe(200);
        const body = await r.json();
        return body.results.map((x: { decision: { match: boolean; name: string | null; distance: number }; neighbours: { name: string; distance: number }[] }) => ({
          decision: [x.decision.match, x.decision.name, x.decision.distance.toFixed(5)],
          neighbours: x.neighbours.map((n) => [n.name, n.distance.toFixed(5)]),
        }));
      };
      expect(await answer(base, target.id)).toEqual(await answer('', source.id));
    }
  } finally {
    process.kill(-server.pid!, 'SIGTERM');
  }
});

test('npm run enroll with face detection completes the whole ORL zip and prints the refusals by reason', async ({ request, baseURL }) => {
  test.setTimeout(600_000);
  const run = await enrollCli(baseURL!, 'orl-detected', 'auto').done;
  expect(run.code, run.stderr).toBe(0);
  const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
  expect(summary).toMatchObject({ images: 400, identities: 40, skipped: 0 });
  expect(summary.enrolled + summary.duplicates + summary.rejected).toBe(400);
  const reasons = Object.entries(summary.rejectedByReason as Record<string, number>);
  expect(reasons.reduce((n, [, k]) => n + k, 0)).toBe(summary.rejected);
  for (const [reason, n] of reasons) {
    expect(['no_face', 'face_too_small', 'low_score']).toContain(reason);
    expect(run.stderr).toContain(`  ${reason}: ${n} (e.g. `);
  }
  console.info(`[bulk] ORL with detection: ${summary.enrolled} enrolled, rejected ${JSON.stringify(summary.rejectedByReason)}`);
  const collection = (await findCollection(request, 'orl-detected'))!;
  expect(collection).toMatchObject({ imageCount: summary.enrolled + summary.duplicates, identityCount: 40 });
});
