import { execFileSync } from 'child_process';
import { expect, Page, APIRequestContext } from '@playwright/test';
import { DATABASE_URL, KEYWARD, PASSWORD } from './env';
import { record } from './leaks';

export async function signIn(page: Page, username: string) {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole('heading', { name: 'API Tokens' })).toBeVisible();
}

export async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
}

/** `keyward admin ...` on the test database: prints its result alone on stdout. */
export function admin(...args: string[]): string {
  return execFileSync(KEYWARD, ['admin', ...args], {
    env: { ...process.env, KEYWARD_DATABASE_URL: DATABASE_URL },
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString().trim();
}

/** `keyward admin mint-token ...`: the new token's value. */
export function mintToken(username: string, name: string, expiry: string[]): string {
  return admin('mint-token', '--username', username, '--name', name, ...expiry);
}

/** The API Tokens card. */
export function apiTokens(page: Page) {
  return page.getByRole('region', { name: 'API Tokens' });
}

/** Everything in the page's localStorage. */
export function localStorageOf(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => ({ ...localStorage }));
}

/** The Service Tokens card. */
export function serviceTokens(page: Page) {
  return page.getByRole('region', { name: 'Service Tokens' });
}

export async function whoami(request: APIRequestContext, token: string) {
  const res = await request.get('/api/v1/whoami', { headers: { Authorization: `Bearer ${token}` } });
  // The server log must show this call, naming the token by its display prefix only.
  const credential = token.startsWith('eyJ') ? 'jwt' : token.slice(0, 12);
  record({ kind: 'request', method: 'GET', path: '/api/v1/whoami', status: res.status(), credential });
  return { status: res.status(), body: await res.json() };
}

export function tokenRow(page: Page, name: string) {
  return page.getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });
}

/** Holds the server's answers to `path` back until the returned function is called: for a
 * reply that must arrive after something else happened (a dialog closed). */
export async function holdAnswers(page: Page, path: string): Promise<() => void> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => { release = resolve; });
  await page.route(`**${path}`, async (route) => {
    const response = await route.fetch();
    await released;
    await route.fulfill({ response });
  });
  return release;
}

/** What the page's hydration scripts carry, as text: its resources are postcard, base64'd
 * into `__RESOLVED_RESOURCES` (app/src/resource.rs), where a search of the page's source for
 * a leaked value would not see it. Strings stay plain UTF-8 in postcard, so decoding each
 * base64 literal of the scripts is enough. */
export async function hydrationData(page: Page): Promise<string> {
  const scripts = await page.locator('script:not([src])').allTextContents();
  const literals = scripts.join('\n').match(/"[A-Za-z0-9+/]{8,}"/g) ?? [];
  return literals.map((l) => Buffer.from(l.slice(1, -1), 'base64').toString('utf8')).join('\n');
}

/** The page's source and its hydration data (see `hydrationData`): where a value must never be. */
export async function pageText(page: Page): Promise<string> {
  return `${await page.content()}\n${await hydrationData(page)}`;
}
