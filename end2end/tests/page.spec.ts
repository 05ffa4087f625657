import { test, expect } from './fixtures';
import { Page, Locator } from '@playwright/test';
import { admin, apiTokens, mintToken, signIn, tokenRow } from './helpers';

// Users: vera, wes (each spec file has its own: see serve.sh).

// The keyboard test types a date in the en-US order of a date field's parts.
test.use({ locale: 'en-US' });

test.describe('pages of tokens', () => {
  // Oldest first: one expiring in 3 days, five expired, then a hundred that expire in 60
  // days. Newest first, pages 1 and 2 hold the hundred and page 3 the six older ones.
  test.beforeAll(() => {
    mintToken('vera', 'soon', ['--expires-in-days', '3']);
    admin('mint-token', '--username', 'vera', '--name', 'old', '--expires-at', '2025-01-01T00:00:00Z', '--count', '5');
    admin('mint-token', '--username', 'vera', '--name', 'fresh', '--expires-in-days', '60', '--count', '100');
  });

  test('50 rows a page with Previous and Next, Hide expired and the banner across pages', async ({ page }) => {
    await signIn(page, 'vera');
    const card = apiTokens(page);
    const rows = card.getByRole('row').filter({ has: page.getByRole('cell') });
    const pager = card.getByRole('navigation', { name: 'Pages of API tokens' });
    const [previous, next] = [pager.getByRole('button', { name: 'Previous' }), pager.getByRole('button', { name: 'Next' })];
    await expect(pager).toContainText('1–50 of 106');
    await expect(rows).toHaveCount(50);
    await expect(tokenRow(page, 'fresh-100')).toBeVisible();
    await expect(tokenRow(page, 'soon')).toHaveCount(0);
    // The banner names the token expiring soon, although its row is on page 3.
    const banner = page.getByRole('status').filter({ has: page.getByRole('heading', { name: 'Tokens expiring soon' }) });
    await expect(banner.getByRole('listitem')).toHaveText([/^API token “soon” /]);
    await expect(previous).toBeDisabled();

    // The rows are drawn again around Next, which keeps the focus.
    await next.click();
    await expect(pager).toContainText('51–100 of 106');
    await expect(tokenRow(page, 'fresh-50')).toBeVisible();
    await expect(next).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(pager).toContainText('101–106 of 106');
    await expect(rows).toHaveCount(6);
    // The colours and words of expiry hold on every page.
    await expect(tokenRow(page, 'old-1')).toContainText('Expired');
    expect(await tokenRow(page, 'old-1').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(253, 228, 225)');
    await expect(tokenRow(page, 'soon')).toContainText('Expires in 3 days');
    await expect(next).toBeDisabled();
    // Next, focused, is disabled on the last page: the focus goes to the card's heading
    // rather than fall back to the top of the page.
    await expect(card.getByRole('heading', { name: 'API Tokens' })).toBeFocused();
    await previous.click();
    await expect(pager).toContainText('51–100 of 106');
    await expect(previous).toBeFocused();

    // Hide expired counts across every page (5 of the 106 are expired) and starts again at
    // page 1.
    await card.getByRole('checkbox', { name: 'Hide expired' }).check();
    await expect(card).toContainText('5 expired token(s) hidden.');
    await expect(pager).toContainText('1–50 of 101');
    await next.click();
    await expect(pager).toContainText('51–100 of 101');
    await next.click();
    await expect(pager).toContainText('101–101 of 101');
    await expect(rows).toHaveCount(1);
    await expect(tokenRow(page, 'soon')).toBeVisible();

    // The server sends one page: the profile's HTML holds 50 rows, not 106.
    await card.getByRole('checkbox', { name: 'Hide expired' }).uncheck();
    const html = await (await page.request.get('/profile')).text();
    expect(html.match(/<tr class="expiry-/g)?.length).toBe(50);
  });
});

/** Presses Tab (Shift+Tab with `back`) until `target` has the focus: the keyboard's own way
 * to a control, never a click or `focus()`. */
async function tabTo(page: Page, target: Locator, back = false) {
  await expect(target).toBeVisible();
  for (let i = 0; i < 150; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`the keyboard never reached ${target}`);
}

test('with the keyboard alone: sign in, mint, copy, re-date and revoke; focus comes back', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/login');
  await tabTo(page, page.getByLabel('Username'));
  await page.keyboard.type('wes');
  await page.keyboard.press('Tab');
  await page.keyboard.type('correct horse battery');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/profile$/);
  const card = apiTokens(page);

  // Mint.
  await expect(card.getByRole('button', { name: 'New API token' })).toBeEnabled();
  await tabTo(page, card.getByRole('button', { name: 'New API token' }));
  await page.keyboard.press('Enter');
  await tabTo(page, page.getByLabel('Name'));
  await page.keyboard.type('typed');
  await tabTo(page, page.getByRole('button', { name: 'Create token' }));
  await page.keyboard.press('Enter');
  const value = page.getByRole('textbox', { name: 'Token value' });
  await expect(value).toHaveValue(/^kwat_/);
  const minted = await value.inputValue();

  // Copy: Space on the Copy button puts the value on the clipboard.
  await tabTo(page, page.getByRole('button', { name: 'Copy' }));
  await page.keyboard.press('Space');
  await expect(page.getByText('Copied to the clipboard.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(minted);
  await tabTo(page, page.getByRole('button', { name: 'Done' }));
  await page.keyboard.press('Enter');

  // Re-date: the dialog takes the focus, and gives it back to the row's button when done,
  // although the row was drawn again with the new date.
  const edit = tokenRow(page, 'typed').getByRole('button', { name: 'Edit expiration' });
  await tabTo(page, edit);
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Edit expiration' });
  await expect(dialog).toBeFocused();
  const in90 = new Date(Date.now() + 90 * 86400_000);
  await tabTo(page, dialog.getByLabel('New expiration date'));
  // A date field takes its parts in the locale's order (en-US: month, day, year).
  const [y, m, d] = in90.toISOString().slice(0, 10).split('-');
  await page.keyboard.type(`${m}${d}${y}`);
  await tabTo(page, dialog.getByRole('button', { name: 'Save' }));
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(tokenRow(page, 'typed')).toContainText(`${y}-${m}-${d}`);
  await expect(value).not.toHaveValue(minted);
  await expect(edit).toBeFocused();

  // Escape closes a dialog, and the focus is back on the button that opened it.
  const usage = tokenRow(page, 'typed').getByRole('button', { name: 'Usage' });
  await tabTo(page, usage);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog', { name: 'Usage' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(usage).toBeFocused();

  // Revoke: Cancel gives the focus back to Revoke; confirming removes the row, and the focus
  // goes to the card's heading instead of the top of the page.
  const revoke = tokenRow(page, 'typed').getByRole('button', { name: 'Revoke' });
  await tabTo(page, revoke);
  await page.keyboard.press('Enter');
  const confirm = page.getByRole('dialog', { name: 'Revoke token?' });
  await tabTo(page, confirm.getByRole('button', { name: 'Cancel' }));
  await page.keyboard.press('Enter');
  await expect(revoke).toBeFocused();
  await page.keyboard.press('Enter');
  await tabTo(page, confirm.getByRole('button', { name: 'Revoke' }), true);
  await page.keyboard.press('Enter');
  await expect(tokenRow(page, 'typed')).toHaveCount(0);
  await expect(card.getByText('No API tokens yet.')).toBeVisible();
  await expect(card.getByRole('heading', { name: 'API Tokens' })).toBeFocused();
});
