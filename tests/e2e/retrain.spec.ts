// Retraining from the dashboard (issue 8): sign in, start a short retrain on a small gallery, watch
// progress events arrive and the curves grow, see the comparison, promote, then roll back. A client
// searches at 2.5 requests per second from the job's start until the rollback has finished: every
// reply is 200, and its modelVersion switches once at promote and once at rollback, never alternating.
import { readFileSync } from 'node:fs';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { zipSync } from 'fflate';
import { readOmniglotEntries } from '@/lib/datasets/omniglot';
import { OMNIGLOT_ZIP } from '../helpers/data';
import { E2E_ADMIN_PASSWORD, E2E_API_KEY } from './env';

const headers = { 'x-api-key': E2E_API_KEY };
const SEARCH_INTERVAL_MS = 400;

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
}

/** Searches every SEARCH_INTERVAL_MS until `stop()`; each reply's status and modelVersion, in order. */
function searchLoop(request: APIRequestContext, collectionId: string, query: Uint8Array) {
  const replies: { status: number; modelVersion: string | null }[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const started = Date.now();
      const r = await request.post(`/api/collections/${collectionId}/search`, { headers, multipart: { image: { name: 'q.png', mimeType: 'image/png', buffer: Buffer.from(query) } } });
      const body = r.status() === 200 ? await r.json() : null;
      replies.push({ status: r.status(), modelVersion: body?.modelVersion ?? null });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, SEARCH_INTERVAL_MS - (Date.now() - started))));
    }
  })();
  return { replies, stop: async () => { running = false; await done; } };
}

test('retrain, compare, promote and roll back while searches keep answering', async ({ page, request }) => {
  test.setTimeout(600_000);
  page.on('dialog', (d) => void d.accept());
  const byChar = new Map<string, Uint8Array[]>();
  for (const e of readOmniglotEntries(new Uint8Array(readFileSync(OMNIGLOT_ZIP)), ['Tifinagh'])) byChar.set(e.character, [...(byChar.get(e.character) ?? []), e.bytes]);
  const chars = [...byChar.entries()].slice(0, 14);
  const created = await request.post('/api/collections', { headers, data: { name: 'retrain e2e', kind: 'object', domain: 'drawings' } });
  expect(created.status()).toBe(201);
  const { id, modelVersion: base } = await created.json();
  const zip = zipSync(Object.fromEntries(chars.flatMap(([name, drawings]) => drawings.slice(0, 5).map((b, i) => [`${name}/${i}.png`, b]))));
  const imported = await request.post(`/api/collections/${id}/import`, { headers, multipart: { archive: { name: 'g.zip', mimeType: 'application/zip', buffer: Buffer.from(zip) } } });
  expect(await imported.json()).toMatchObject({ enrolled: 70, rejected: [] });

  await page.goto('/signin');
  await page.getByLabel('Password').fill(E2E_ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/collections$/);
  await page.goto(`/collections/${id}/models`);
  await expect(page.getByTestId('current-model')).toHaveText(base);

  await page.getByLabel('Epochs').fill('2');
  await page.getByLabel('Steps per epoch').fill('10');
  await expect(page.getByRole('button', { name: 'Start retraining' })).toBeEnabled();
  const searches = searchLoop(request, id, chars[0][1][7]);
  await page.getByRole('button', { name: 'Start retraining' }).click();

  // Progress arrives as events while it trains; the curves grow.
  await expect(page.getByTestId('job-phase')).toHaveText('training', { timeout: 120_000 });
  await expect(page.getByTestId('loss-curve')).toBeVisible({ timeout: 120_000 });
  await expect.poll(async () => Number(await page.getByTestId('job-events').textContent()), { timeout: 120_000 }).toBeGreaterThanOrEqual(3);
  await shot(page, 'retrain-progress');
  // Two comparisons: held-out identities, and held-out images of the identities it trained on.
  for (const id of ['comparison', 'comparison-trained']) {
    const view = page.getByTestId(id);
    await expect(view).toBeVisible({ timeout: 300_000 });
    await expect(view.getByTestId('roc-both')).toBeVisible();
    await expect(view.getByTestId('auc-gain')).toContainText('AUC gain');
  }
  // The finished job is listed beside it without a reload (issue 16: "No jobs yet." stayed).
  await expect(page.getByTestId('recent-jobs')).toContainText('retrain · succeeded');
  await shot(page, 'retrain-comparison');

  const promote = page.getByTestId('promote');
  const candidate = ((await promote.textContent()) ?? '').replace(/^Promote /, '');
  expect(candidate).not.toBe(base);
  await promote.click();
  await expect(page.getByTestId('switched')).toContainText(candidate, { timeout: 300_000 });
  await page.reload();
  await expect(page.getByTestId('current-model')).toHaveText(candidate);
  await expect.poll(() => searches.replies.at(-1)?.modelVersion, { timeout: 60_000 }).toBe(candidate);
  await shot(page, 'promoted');

  await page.getByTestId('rollback').click();
  await expect(page.getByTestId('switched')).toContainText(base, { timeout: 300_000 });
  await page.reload();
  await expect(page.getByTestId('current-model')).toHaveText(base);
  // Keep searching until a reply after the rollback has arrived (replies may lag on a loaded machine).
  await expect.poll(() => searches.replies.at(-1)?.modelVersion, { timeout: 60_000 }).toBe(base);
  await searches.stop();
  await shot(page, 'rolled-back');

  const { replies } = searches;
  expect(replies.length).toBeGreaterThan(10);
  expect(replies.filter((r) => r.status !== 200)).toEqual([]);
  const runs = replies.map((r) => r.modelVersion).filter((v, i, all) => i === 0 || v !== all[i - 1]);
  expect(runs).toEqual([base, candidate, base]);

  await page.goto(`/models/${candidate}`);
  await expect(page.getByTestId('promotions')).toContainText('promote by admin-session');
  await shot(page, 'model-page');
});
