// The gallery in the browser (issue 6): sign in, create an object collection, enroll 5 Omniglot
// characters (3 drawings each, held-out alphabets, drawn by seed) through the pages, search an unseen
// drawing of each (the right name) and a never-enrolled character (unknown), delete an identity and
// see its drawing stop matching it. A screenshot of every page is kept under test-results/.
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { zipSync } from 'fflate';
import { OMNIGLOT_SPLIT, readOmniglotEntries, type OmniglotEntry } from '@/lib/datasets/omniglot';
import { createUniform, shuffled } from '@/lib/evaluation/random';
import { OMNIGLOT_ZIP } from '../helpers/data';
import { E2E_ADMIN_PASSWORD } from './env';

const PASSWORD = E2E_ADMIN_PASSWORD;

/** 6 held-out characters by seed (5 enrolled, 1 stranger), each with its drawers shuffled by seed. */
function pickCharacters(heldOut: readonly string[]): OmniglotEntry[][] {
  const entries = readOmniglotEntries(new Uint8Array(readFileSync(OMNIGLOT_ZIP)), heldOut);
  const byChar = new Map<string, OmniglotEntry[]>();
  for (const e of entries) byChar.set(`${e.alphabet}/${e.character}`, [...(byChar.get(`${e.alphabet}/${e.character}`) ?? []), e]);
  const rng = createUniform(5);
  return shuffled([...byChar.keys()].sort(), rng).slice(0, 6).map((k) => shuffled(byChar.get(k)!, rng));
}

const file = (e: OmniglotEntry) => ({ name: e.path.split('/').slice(-2).join('_'), mimeType: 'image/png', buffer: Buffer.from(e.bytes) });
const nameOf = (drawings: OmniglotEntry[]) => `${drawings[0].alphabet} ${drawings[0].character}`;

/** Chooses files once the input is interactive (controls stay disabled until the page has hydrated). */
async function chooseFiles(page: Page, label: string, files: Parameters<ReturnType<Page['getByLabel']>['setInputFiles']>[0]): Promise<void> {
  const input = page.getByLabel(label);
  await expect(input).toBeEnabled();
  await input.setInputFiles(files);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
}

/** Searches with one drawing: the decision's text and the nearest identity's name. */
async function searchWith(page: Page, drawing: OmniglotEntry): Promise<{ decision: string; nearest: string | null }> {
  const query = file(drawing);
  await chooseFiles(page, 'Query image', query);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(page.getByTestId('answered')).toHaveAttribute('data-query', query.name);
  const decision = page.getByTestId('decision');
  await expect(decision).toBeVisible();
  const nearest = page.getByTestId('search-result').getByRole('row').nth(1).getByRole('link');
  return { decision: (await decision.textContent()) ?? '', nearest: (await nearest.count()) > 0 ? await nearest.textContent() : null };
}

test('sign in, enroll 5 characters through the pages, search, and delete an identity', async ({ page }) => {
  test.setTimeout(300_000);
  page.on('dialog', (d) => void d.accept());

  // Signed out, a page answers 401 with the sign-in form; signing in reloads it.
  expect((await page.goto('/collections'))?.status()).toBe(401);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Password').fill('wrong password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('problem')).toBeVisible();
  await shot(page, 'signin-error');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/collections$/);
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await shot(page, 'collections');

  // An object collection says what its model was trained on.
  const form = page.getByRole('form', { name: 'Create collection' });
  await form.getByLabel('Name').fill('Omniglot e2e');
  await form.getByLabel('Kind').selectOption('object');
  await form.getByLabel('Objects are').selectOption('drawings');
  await form.getByRole('button', { name: 'Create collection' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Omniglot e2e');
  await expect(page.getByTestId('object-model-notice')).toContainText('handwritten characters');
  const collectionUrl = page.url();
  const collectionId = collectionUrl.split('/').pop()!;

  const characters = pickCharacters(OMNIGLOT_SPLIT.heldOut);

  // Enroll 3 drawings of each of 5 characters, several files at once.
  const identityUrls: string[] = [];
  for (const [i, drawings] of characters.slice(0, 5).entries()) {
    await page.goto(collectionUrl);
    const add = page.getByRole('form', { name: 'Add identity' });
    await add.getByLabel('Name').fill(nameOf(drawings));
    await add.getByRole('button', { name: 'Add identity' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(nameOf(drawings));
    identityUrls.push(page.url());
    await chooseFiles(page, 'Images to enroll', drawings.slice(0, 3).map(file));
    await page.getByRole('button', { name: 'Enroll', exact: true }).click();
    await expect(page.getByRole('status')).toContainText('Enrolled 3, refused 0');
    if (i === 0) {
      // A non-image is refused in words, and nothing is stored.
      await chooseFiles(page, 'Images to enroll', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
      await page.getByRole('button', { name: 'Enroll', exact: true }).click();
      await expect(page.getByTestId('problem')).toBeVisible();
      await expect(page.getByRole('status')).toContainText('could not be read as an image');
      await page.reload();
      await expect(page.getByRole('list', { name: 'Examples' }).getByRole('listitem')).toHaveCount(3);
      await shot(page, 'identity');
    }
  }
  await page.goto(collectionUrl);
  await expect(page.getByRole('list', { name: 'Identities' }).getByRole('listitem')).toHaveCount(5);
  // A zip whose entry escapes the archive is refused with the problem's title; nothing is added.
  const unsafe = zipSync({ 'ok/a.png': characters[0][0].bytes, 'ok/../../escape.png': characters[0][1].bytes });
  await chooseFiles(page, 'Archive to import', { name: 'unsafe.zip', mimeType: 'application/zip', buffer: Buffer.from(unsafe) });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(page.getByTestId('problem')).toContainText('Unsafe path in archive');
  await page.reload();
  await expect(page.getByRole('list', { name: 'Identities' }).getByRole('listitem')).toHaveCount(5);
  await shot(page, 'collection');

  // An unseen drawing of each finds its character nearest, and a decision never names another one
  // (at the target FAR 1e-2 three of these five lie beyond the threshold: tests/service/omniglot.test.ts);
  // a never-enrolled character is unknown.
  await page.goto(`/search?collection=${collectionId}`);
  const decisions = [];
  for (const drawings of characters.slice(0, 5)) {
    const found = await searchWith(page, drawings[3]);
    expect(found.nearest).toBe(nameOf(drawings));
    expect(['Unknown', `Match: ${nameOf(drawings)}`]).toContain(found.decision);
    decisions.push(found.decision);
    if (found.decision !== 'Unknown') await shot(page, 'search-match');
  }
  expect(decisions).toContain(`Match: ${nameOf(characters[3])}`);
  const stranger = await searchWith(page, characters[5][0]);
  expect(stranger.decision).toBe('Unknown');
  await shot(page, 'search-unknown');

  // Deleting an identity makes its drawing stop matching it at once.
  await page.goto(identityUrls[0]);
  await page.getByRole('button', { name: 'Delete identity' }).click();
  await expect(page).toHaveURL(collectionUrl);
  await expect(page.getByRole('list', { name: 'Identities' }).getByRole('listitem')).toHaveCount(4);
  await page.goto(`/search?collection=${collectionId}`);
  const after = await searchWith(page, characters[0][3]);
  expect(after.decision).not.toContain(nameOf(characters[0]));
  expect(after.nearest).not.toBe(nameOf(characters[0]));

  // The admin pages render with the decisions just made.
  await page.goto(`/audit?action=search&collectionId=${collectionId}`);
  await expect(page.getByRole('table', { name: 'Audit entries' }).getByRole('row')).toHaveCount(1 + 7);
  await shot(page, 'audit');
  await page.goto('/keys');
  const keyForm = page.getByRole('form', { name: 'Create API key' });
  await keyForm.getByLabel('Name').fill('e2e reader');
  await keyForm.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByTestId('new-key')).toHaveText(/\S{20,}/);
  await shot(page, 'keys');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin/);
  expect((await page.goto('/search'))?.status()).toBe(401);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});
