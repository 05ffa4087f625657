import { test, expect } from './fixtures';
import { signIn, signOut, mintToken, tokenRow, apiTokens, localStorageOf } from './helpers';

// Users: carol (each spec file has its own: see serve.sh).

// Tokens seeded with `keyward admin mint-token`: expired, expiring in 3 days, in 60 days.
test.beforeAll(() => {
  mintToken('carol', 'old-expired', ['--expires-at', '2025-01-01T00:00:00Z']);
  mintToken('carol', 'soon', ['--expires-in-days', '3']);
  mintToken('carol', 'later', ['--expires-in-days', '60']);
});

const background = (el: HTMLElement) => getComputedStyle(el).backgroundColor;

test('expiry colours and texts, and Hide expired remembered across reloads and sign-ins', async ({ page }) => {
  await signIn(page, 'carol');
  const expired = tokenRow(page, 'old-expired');
  const soon = tokenRow(page, 'soon');
  const later = tokenRow(page, 'later');

  await expect(expired).toContainText('Expired');
  await expect(soon).toContainText('Expires in 3 days');
  await expect(later).not.toContainText('Expire');

  // The banner above the profile names the one that expires within 7 days, and only it.
  const banner = page.getByRole('status').filter({ has: page.getByRole('heading', { name: 'Tokens expiring soon' }) });
  await expect(banner.getByRole('listitem')).toHaveCount(1);
  await expect(banner.getByRole('listitem')).toHaveText(/^API token “soon” \(kwat_\w{7}\): expires in 3 days$/);

  const colours = {
    expired: await expired.evaluate(background),
    soon: await soon.evaluate(background),
    later: await later.evaluate(background),
  };
  expect(colours.expired).toBe('rgb(253, 228, 225)');
  expect(colours.soon).toBe('rgb(255, 244, 214)');
  expect(colours.later).toBe('rgba(0, 0, 0, 0)');

  const hide = apiTokens(page).getByRole('checkbox', { name: 'Hide expired' });
  await expect(hide).not.toBeChecked();
  await hide.check();
  await expect(expired).toHaveCount(0);
  await expect(soon).toBeVisible();
  // Kept in this browser's localStorage, as PRODUCT.md requires.
  expect(await localStorageOf(page)).toEqual({ 'keyward.api_tokens.hide_expired': 'true' });

  await page.reload();
  await expect(apiTokens(page).getByRole('checkbox', { name: 'Hide expired' })).toBeChecked();
  await expect(tokenRow(page, 'old-expired')).toHaveCount(0);
  await expect(tokenRow(page, 'later')).toBeVisible();

  await signOut(page);
  await signIn(page, 'carol');
  await expect(apiTokens(page).getByRole('checkbox', { name: 'Hide expired' })).toBeChecked();
  await expect(tokenRow(page, 'old-expired')).toHaveCount(0);

  await apiTokens(page).getByRole('checkbox', { name: 'Hide expired' }).uncheck();
  await expect(tokenRow(page, 'old-expired')).toBeVisible();
});
