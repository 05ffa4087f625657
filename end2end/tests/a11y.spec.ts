import AxeBuilder from '@axe-core/playwright';
import { test, expect } from './fixtures';
import { Page } from '@playwright/test';
import { admin, apiTokens, mintToken, signIn, tokenRow } from './helpers';
import { PASSWORD } from './env';

// Users: yara, zed (admin) (each spec file has its own: see serve.sh).

/** axe-core on the page as it is now: no serious or critical violation. The message lists
 * each violation with the elements it found, so a failure says what to fix. */
async function expectAccessible(page: Page, what: string) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const grave = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = grave.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`);
  expect(report, `axe on ${what}`).toEqual([]);
}

/** Opens the dialog `button` opens, checks the page with it open, and closes it. */
async function withDialog(page: Page, button: ReturnType<Page['getByRole']>, name: string) {
  await button.click();
  const dialog = page.getByRole('dialog', { name });
  await expect(dialog).toBeVisible();
  // The body is a chunk of its own, fetched at the first opening: check it, not the frame.
  await expect(dialog.getByRole('button').first()).toBeVisible();
  await expectAccessible(page, `the ${name} dialog`);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
}

test.beforeAll(() => {
  mintToken('yara', 'expired', ['--expires-at', '2025-01-01T00:00:00Z']);
  mintToken('yara', 'soon', ['--expires-in-days', '3']);
  mintToken('yara', 'checked', ['--expires-in-days', '60']);
});

test('/login', async ({ page }) => {
  await page.goto('/login');
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
  await expectAccessible(page, '/login');
});

test('/profile, with every dialog open once', async ({ page }) => {
  // Twelve axe runs of about 2 s each on 2 cores.
  test.setTimeout(90_000);
  await signIn(page, 'yara');
  await expect(apiTokens(page).getByRole('button', { name: 'New API token' })).toBeEnabled();
  await expectAccessible(page, '/profile');

  const row = tokenRow(page, 'checked');
  for (const name of ['Edit expiration', 'Rotate', 'Usage', 'Edit allowed IP ranges']) {
    const title = name === 'Rotate' ? 'Rotate token' : name;
    await withDialog(page, row.getByRole('button', { name }), title);
  }
  await withDialog(page, row.getByRole('button', { name: 'Revoke' }), 'Revoke token?');
  for (const name of ['Change Password', 'Update Personal Information', 'Manage Email(s)', 'Update Avatar', 'Manage MFA Settings']) {
    await withDialog(page, page.getByRole('button', { name, exact: true }), name);
  }

  // The forms and the value shown once.
  await apiTokens(page).getByRole('button', { name: 'New API token' }).click();
  await expect(page.getByRole('button', { name: 'Create token' })).toBeVisible();
  await expectAccessible(page, 'the New API token form');
  await page.getByLabel('Name').fill('a11y');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('textbox', { name: 'Token value' })).toBeVisible();
  await expectAccessible(page, 'a token value shown once');
  await page.getByRole('region', { name: 'Service Tokens' }).getByRole('button', { name: 'New service token' }).click();
  await expect(page.getByRole('form', { name: 'New service token' })).toBeVisible();
  await expectAccessible(page, 'the New service token form');

  // Confirm access: asked when the sign-in is older than the sudo window.
  expect(admin('require-reauth', '--username', 'yara')).toBe('1');
  await page.reload();
  await apiTokens(page).getByRole('button', { name: 'New API token' }).click();
  await page.getByLabel('Name').fill('after reauth');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('dialog', { name: 'Confirm access' })).toBeVisible();
  await expectAccessible(page, 'the Confirm access dialog');
});

test('the page behind stays inert while any dialog is open, under Confirm access too', async ({ page }) => {
  await signIn(page, 'yara');
  const pageRoot = page.locator('#page');
  await expect(apiTokens(page).getByRole('button', { name: 'New API token' })).toBeEnabled();
  await expect(pageRoot).not.toHaveAttribute('inert', /.*/);
  // (Every session of yara's: the earlier test's too.)
  admin('require-reauth', '--username', 'yara');

  await tokenRow(page, 'checked').getByRole('button', { name: 'Edit allowed IP ranges' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit allowed IP ranges' });
  await dialog.getByLabel('Allowed IP ranges').fill('127.0.0.1/8');
  await dialog.getByRole('button', { name: 'Save' }).click();
  // Confirm access opens over it; Escape closes it alone, and the focus goes back to the
  // dialog under it, with what was typed there.
  const confirm = page.getByRole('dialog', { name: 'Confirm access' });
  await expect(confirm).toBeVisible();
  await expect(pageRoot).toHaveAttribute('inert', '');
  await page.keyboard.press('Escape');
  await expect(confirm).toBeHidden();
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Allowed IP ranges')).toHaveValue('127.0.0.1/8');
  await expect(dialog).toBeFocused();
  await expect(pageRoot).toHaveAttribute('inert', '');
  // Asked again, and confirmed this time: closes with the first dialog still open.
  await dialog.getByRole('button', { name: 'Save' }).click();
  await confirm.getByLabel('Password').fill(PASSWORD);
  await confirm.getByRole('button', { name: 'Confirm' }).click();
  await expect(confirm).toBeHidden();
  // The change is sent again and refused; the page stays inert while this one is open.
  await expect(dialog.getByRole('alert').filter({ hasText: 'host bits set' })).toBeVisible();
  await expect(pageRoot).toHaveAttribute('inert', '');
  await expect(pageRoot).toHaveAttribute('aria-hidden', 'true');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  // The focus goes back to the button that opened it.
  await expect(tokenRow(page, 'checked').getByRole('button', { name: 'Edit allowed IP ranges' })).toBeFocused();
  await expect(pageRoot).not.toHaveAttribute('inert', /.*/);
  await expect(pageRoot).not.toHaveAttribute('aria-hidden', /.*/);
});

test('/users/{username}', async ({ page }) => {
  await signIn(page, 'yara');
  await page.goto('/users/zed');
  await expect(page.getByRole('heading', { name: 'Zed Example' })).toBeVisible();
  await expectAccessible(page, '/users/zed');
});

test('every /admin page', async ({ page }) => {
  await signIn(page, 'zed');
  for (const section of ['users', 'organizations', 'teams', 'projects', 'oplogs', 'sessions', 'audit', 'service-tokens', 'settings']) {
    await page.goto(`/admin/${section}`);
    await expect(page.getByRole('navigation', { name: 'Administration' })).toBeVisible();
    await expect(page.getByText('Loading…')).toHaveCount(0);
    await expectAccessible(page, `/admin/${section}`);
  }
});

// A phone-wide screen and 200% zoom (a 1280 px window at 200% is 640 CSS px at 2 device px
// each): nothing wider than the screen but the token tables, which scroll within their box;
// every control still reachable.
for (const [what, viewport, scale] of [['375 px wide', { width: 375, height: 812 }, 1], ['200% zoom', { width: 640, height: 720 }, 2]] as const) {
  test(`/profile at ${what}`, async ({ browser }) => {
    const context = await browser.newContext({ viewport, deviceScaleFactor: scale });
    const page = await context.newPage();
    await signIn(page, 'yara');
    const card = apiTokens(page);
    await expect(card.getByRole('button', { name: 'New API token' })).toBeEnabled();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, 'the page scrolls sideways').toBeLessThanOrEqual(0);
    await expectAccessible(page, `/profile at ${what}`);
    // A row's last button, scrolled to within its table, opens its dialog.
    await tokenRow(page, 'checked').getByRole('button', { name: 'Revoke' }).click();
    await expect(page.getByRole('dialog', { name: 'Revoke token?' })).toBeInViewport();
    await page.keyboard.press('Escape');
    await context.close();
  });
}
