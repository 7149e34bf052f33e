// What the pages show without a reload (issue 16, sections 1 and 7): an ORL face enrolled as a PGM
// shows its thumbnail (the API's PNG rendition: browsers cannot decode PGM) and the identity's image
// count updates in place; the same PGM chosen as a search query is previewed; a refused file's
// problem is worded from its code.
import { expect, test, type Page } from '@playwright/test';
import { readOrlFace } from '../imaging/fixtures';
import { E2E_ADMIN_PASSWORD, E2E_API_KEY } from './env';

const headers = { 'x-api-key': E2E_API_KEY };
const NOT_AN_IMAGE = { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') };
const PGM = { name: 's1-1.pgm', mimeType: 'image/x-portable-graymap', buffer: Buffer.from(readOrlFace()) };

/** Chooses files once the input is interactive (controls stay disabled until the page has hydrated). */
async function chooseFiles(page: Page, label: string, files: Parameters<ReturnType<Page['getByLabel']>['setInputFiles']>[0]): Promise<void> {
  const input = page.getByLabel(label);
  await expect(input).toBeEnabled();
  await input.setInputFiles(files);
}

/** The decoded width of an <img> once the browser has loaded it (0 when it could not decode it). */
function naturalWidth(page: Page, selector: ReturnType<Page['getByRole']>) {
  return expect.poll(() => selector.evaluate((el: HTMLImageElement) => (el.complete ? el.naturalWidth : -1)), { timeout: 30_000 });
}

test('a PGM enrolled through the page shows its thumbnail and the new count without a reload', async ({ page, request }) => {
  const created = await request.post('/api/collections', { headers, data: { name: 'display e2e', kind: 'object', domain: 'drawings' } });
  expect(created.status()).toBe(201);
  const collection = await created.json();
  const who = await request.post(`/api/collections/${collection.id}/identities`, { headers, data: { name: 'orl s1' } });
  const identity = await who.json();

  await page.goto('/signin');
  await page.getByLabel('Password').fill(E2E_ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/collections$/);
  await page.goto(`/identities/${identity.id}`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('orl s1');
  await expect(page.getByText('· 0 images')).toBeVisible();
  // A reload would lose this mark: it proves the page updated in place.
  await page.evaluate(() => Object.assign(window, { notReloaded: true }));

  await chooseFiles(page, 'Images to enroll', PGM);
  await page.getByRole('button', { name: 'Enroll', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Enrolled 1, refused 0');
  await expect(page.getByText('· 1 image', { exact: false })).toBeVisible();
  const thumbnail = page.getByRole('list', { name: 'Examples' }).getByRole('img', { name: 'example of orl s1' });
  await expect(thumbnail).toHaveCount(1);
  await expect(thumbnail).toHaveAttribute('src', /\/file\?format=png$/);
  await naturalWidth(page, thumbnail).toBe(92);
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  await page.screenshot({ path: test.info().outputPath('identity-pgm.png'), fullPage: true });

  // A file that is no image: the refusal in words, per file.
  await chooseFiles(page, 'Images to enroll', NOT_AN_IMAGE);
  await page.getByRole('button', { name: 'Enroll', exact: true }).click();
  await expect(page.getByTestId('problem')).toHaveText('No image was enrolled');
  await expect(page.getByRole('status')).toContainText('notes.txt: The file could not be read as an image');

  // The same PGM as a search query: the preview is the API's PNG rendition of it.
  await page.goto(`/search?collection=${collection.id}`);
  await chooseFiles(page, 'Query image', PGM);
  const preview = page.getByRole('img', { name: 'query' });
  await expect(preview).toHaveAttribute('src', /^blob:/);
  await naturalWidth(page, preview).toBe(92);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page.getByTestId('decision')).toHaveText('Match: orl s1');
  const example = page.getByRole('img', { name: 'enrolled example of orl s1' });
  await naturalWidth(page, example).toBe(92);
  await page.screenshot({ path: test.info().outputPath('search-pgm.png'), fullPage: true });

  // A query that is no image: the problem leads with its code's words, then the API's detail.
  await chooseFiles(page, 'Query image', NOT_AN_IMAGE);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page.getByTestId('problem')).toContainText('The file could not be read as an image (corrupt, truncated or not an image). (');
});
