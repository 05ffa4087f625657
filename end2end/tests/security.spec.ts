import { expect } from '@playwright/test';
import { test } from './fixtures';
import { PASSWORD } from './env';
import { admin, apiTokens, signIn } from './helpers';

// Sudo mode: after the 10 minutes a sign-in counts for (here: the operator's
// `keyward admin require-reauth`), minting asks for the password again, then carries on.
test('minting after the sudo window asks for the password, then carries on', async ({ page }) => {
  await signIn(page, 'tess');
  expect(admin('require-reauth', '--username', 'tess')).toBe('1');
  const card = apiTokens(page);
  await card.getByRole('button', { name: 'New API token' }).click();
  await card.getByLabel('Name').fill('after-a-coffee');
  await card.getByRole('button', { name: 'Create token' }).click();

  const dialog = page.getByRole('dialog', { name: 'Confirm access' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Password').fill('not my password');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog.getByText('That password is not right.')).toBeVisible();
  await dialog.getByLabel('Password').fill(PASSWORD);
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog).toBeHidden();
  // The mint went through as it was asked: its value is shown once.
  await expect(page.getByText('New API token “after-a-coffee”')).toBeVisible();
  await expect(card.getByRole('cell', { name: 'after-a-coffee', exact: true })).toBeVisible();

  // The Security log names it by its display prefix, with the confirmation before it.
  await page.reload();
  const log = page.getByRole('region', { name: 'Security log' });
  const minted = log.getByRole('row').filter({ hasText: 'api_token.minted' });
  await expect(minted).toHaveCount(1);
  await expect(minted).toContainText(/kwat_\w{7}/);
  await expect(minted).toContainText('127.0.0.1');
  await expect(log.getByRole('row').filter({ hasText: 'access.confirmed' }).filter({ hasText: 'Failure' })).toHaveCount(1);
  await expect(log.getByRole('row').filter({ hasText: 'access.confirmed' }).filter({ hasText: 'Success' })).toHaveCount(1);
});

test('the sign-in form says how long to wait after too many wrong passwords', async ({ page }) => {
  await page.goto('/login');
  const alert = page.getByRole('alert');
  for (let i = 0; i < 10; i++) {
    await page.getByLabel('Username').fill('uma');
    await page.getByLabel('Password').fill(`wrong password ${i}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(alert).toHaveText('Incorrect username or password.');
    // Each answer replaces the last: wait for this one before the next try.
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
  }
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(alert).toHaveText(/^Too many failed attempts\. Try again in (1 minute|\d+ seconds)\.$/);
  await expect(page).toHaveURL(/\/login$/);
});
