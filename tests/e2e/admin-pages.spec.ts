// Every admin page (each app/**/page.tsx that calls requireSession) refuses a request without
// credentials (401, with the sign-in form) and one with a user API key (403), and opens for the
// admin key. The pages come from the app folder, not a hand list, as the API's test takes its
// operations from the OpenAPI document (tests/http/roles.test.ts).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { E2E_API_KEY } from './env';

const APP = path.resolve(import.meta.dirname, '../../app');

/** `app/(admin)/collections/[id]/models/page.tsx` -> `/collections/no-such-id/models`, for pages that require a session. */
function adminPages(dir = APP, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    // Route groups `(name)` add no path segment.
    const segment = /^\(.*\)$/.test(entry.name) ? '' : `/${entry.name.replace(/^\[(\w+)\]$/, 'no-such-$1')}`;
    if (entry.isDirectory() && !entry.name.startsWith('_') && entry.name !== 'api') out.push(...adminPages(full, `${prefix}${segment}`));
    else if (entry.name === 'page.tsx' && readFileSync(full, 'utf8').includes('requireSession()')) out.push(prefix || '/');
  }
  return out.sort();
}

test('admin pages answer 401 without credentials and 403 to a user key', async ({ request }) => {
  const pages = adminPages();
  expect(pages).toEqual(expect.arrayContaining(['/collections', '/models', '/collections/no-such-id/models', '/audit', '/keys']));
  const key = await request.post('/api/keys', { headers: { 'x-api-key': E2E_API_KEY }, data: { name: 'pages user', role: 'user' } });
  expect(key.status()).toBe(201);
  const userKey = (await key.json()).key as string;
  for (const page of pages) {
    const anonymous = await request.get(page, { maxRedirects: 0 });
    expect({ page, status: anonymous.status() }).toEqual({ page, status: 401 });
    expect(await anonymous.text()).toContain('Sign in');
    const user = await request.get(page, { headers: { 'x-api-key': userKey }, maxRedirects: 0 });
    expect({ page, status: user.status() }).toEqual({ page, status: 403 });
    const admin = await request.get(page, { headers: { 'x-api-key': E2E_API_KEY }, maxRedirects: 0 });
    expect({ page, ok: [200, 404].includes(admin.status()) }).toEqual({ page, ok: true });
  }
});
