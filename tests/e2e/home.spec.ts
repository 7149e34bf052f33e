import { expect, test } from '@playwright/test';

test('the built app serves / and /api/health, with the wasm backend and the default models loaded', async ({ page, request }) => {
  const health = await request.get('/api/health');
  expect(health.status()).toBe(200);
  const body = await health.json();
  expect(body).toMatchObject({ status: 'ready', backend: 'wasm', database: { kind: 'sqlite' } });
  expect(body.database.migrations.pending).toBe(0);
  expect(body.models.map((m: { kind: string }) => m.kind)).toContain('object');

  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/few-shot face and object matching/i);
  await expect(page.getByTestId('status')).toHaveText('ready');
  await page.screenshot({ path: test.info().outputPath('home.png'), fullPage: true });
});
