import { test, expect } from './fixtures';
import { signIn, signOut } from './helpers';
import { NEW_PASSWORD, PASSWORD } from './env';

// Users: erin, frank and sysop, an admin (each spec file has its own: see serve.sh).

test('an admin revokes a session in /admin/sessions and that browser is signed out', async ({ page, browser }) => {
  // erin signs in in her own browser and sees this session marked.
  const erinContext = await browser.newContext();
  const erin = await erinContext.newPage();
  await signIn(erin, 'erin');
  const card = erin.getByRole('region', { name: 'Sessions' });
  await expect(card.getByRole('row').filter({ hasText: 'This session' })).toHaveCount(1);

  await signIn(page, 'sysop');
  await page.goto('/admin/sessions');
  const rows = page.getByRole('table', { name: 'Sessions' }).getByRole('row').filter({ hasText: 'erin' });
  await expect(rows).toHaveCount(1);
  await rows.getByRole('button', { name: /^Revoke session/ }).click();
  await expect(page.getByRole('table', { name: 'Sessions' }).getByRole('row').filter({ hasText: 'erin' })).toHaveCount(0);

  // erin's next request finds her signed out.
  await erin.reload();
  await expect(erin).toHaveURL(/\/login$/);
  await erinContext.close();
});

test('change the password, then sign in with the new one', async ({ page }) => {
  await signIn(page, 'frank');
  await page.getByRole('button', { name: 'Change Password' }).click();
  const dialog = page.getByRole('dialog', { name: 'Change Password' });
  await dialog.getByLabel('Current password').fill('not my password');
  await dialog.getByLabel('New password').fill(NEW_PASSWORD);
  await dialog.getByLabel('Confirm password').fill(NEW_PASSWORD);
  await dialog.getByRole('button', { name: 'Save password' }).click();
  await expect(dialog.getByText('The current password is wrong.')).toBeVisible();

  await dialog.getByLabel('Current password').fill(PASSWORD);
  await dialog.getByRole('button', { name: 'Save password' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('status').filter({ hasText: 'Your password was changed' })).toBeVisible();

  await signOut(page);
  await page.getByLabel('Username').fill('frank');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('Incorrect username or password');
  await page.getByLabel('Password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/profile$/);
});

test('the filter offers to revoke all sessions of the one user it shows', async ({ page, browser }) => {
  // erin signs in in two browsers.
  const contexts = [await browser.newContext(), await browser.newContext()];
  const erins = await Promise.all(contexts.map((c) => c.newPage()));
  for (const erin of erins) await signIn(erin, 'erin');

  await signIn(page, 'sysop');
  await page.goto('/admin/sessions');
  const revokeAll = page.getByRole('button', { name: 'Revoke all sessions of erin' });
  await expect(revokeAll).toHaveCount(0);
  await page.getByLabel('Filter by user').fill('eri');
  const table = page.getByRole('table', { name: 'Sessions' });
  await expect(table.getByRole('row').filter({ hasText: 'erin' })).toHaveCount(2);
  await revokeAll.click();
  await expect(table.getByRole('row').filter({ hasText: 'erin' })).toHaveCount(0);

  for (const erin of erins) {
    await erin.reload();
    await expect(erin).toHaveURL(/\/login$/);
  }
  await Promise.all(contexts.map((c) => c.close()));
});
