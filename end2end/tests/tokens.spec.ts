import { test, expect } from './fixtures';
import { hydrationData, mintToken, pageText, signIn, whoami, tokenRow } from './helpers';

// Users: bob (each spec file has its own: see serve.sh).

test('mint, re-date and revoke an API token in the browser, checked against the API', async ({ page, request }) => {
  await signIn(page, 'bob');

  // Mint: the value is shown once, in "Token value".
  await page.getByRole('button', { name: 'New API token' }).click();
  await page.getByLabel('Name').fill('e2e deploy');
  const expiry = page.getByLabel('Expiration date');
  const defaultDate = await expiry.inputValue();
  const in30 = new Date(Date.now() + 30 * 86400_000).toISOString().slice(0, 10);
  expect(defaultDate).toBe(in30);
  await page.getByRole('button', { name: 'Create token' }).click();
  const value = page.getByRole('textbox', { name: 'Token value' });
  await expect(value).toHaveValue(/^kwat_[0-9A-Za-z]{36}$/);
  const first = await value.inputValue();
  await expect(page.getByText('will not be shown again')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Copy' })).toBeEnabled();

  let r = await whoami(request, first);
  expect(r.status).toBe(200);
  expect(r.body.user.username).toBe('bob');
  expect(r.body.credential.kind).toBe('api_token');

  const row = tokenRow(page, 'e2e deploy');
  await expect(row).toContainText(first.slice(0, 12));
  await expect(row).toContainText(in30);

  // Reloading never shows the value again.
  await page.reload();
  await expect(page.getByRole('textbox', { name: 'Token value' })).toHaveCount(0);
  // Nor in the data the page hydrates from (its control: the token's name is read there).
  expect(await hydrationData(page)).toContain('e2e deploy');
  expect(await pageText(page)).not.toContain(first);

  // Edit expiration: a replacement value; the old one dies at once.
  await tokenRow(page, 'e2e deploy').getByRole('button', { name: 'Edit expiration' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit expiration' });
  const in90 = new Date(Date.now() + 90 * 86400_000).toISOString().slice(0, 10);
  await dialog.getByLabel('New expiration date').fill(in90);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  await expect(value).toHaveValue(/^kwat_/);
  const second = await value.inputValue();
  expect(second).not.toBe(first);
  expect((await whoami(request, first)).status).toBe(401);
  r = await whoami(request, second);
  expect(r.status).toBe(200);
  expect(r.body.credential.expires_at.slice(0, 10)).toBe(in90);
  await expect(tokenRow(page, 'e2e deploy')).toContainText(in90);

  // Revoke, with confirmation; Cancel first changes nothing.
  await tokenRow(page, 'e2e deploy').getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  expect((await whoami(request, second)).status).toBe(200);
  await tokenRow(page, 'e2e deploy').getByRole('button', { name: 'Revoke' }).click();
  const confirm = page.getByRole('dialog', { name: 'Revoke token?' });
  await expect(confirm).toContainText('e2e deploy');
  await confirm.getByRole('button', { name: 'Revoke' }).click();
  // While the dialog is open the page behind it is hidden from role queries: wait for it
  // to close (the revocation is done) before looking at the rows.
  await expect(confirm).toBeHidden();
  await expect(tokenRow(page, 'e2e deploy')).toHaveCount(0);
  r = await whoami(request, second);
  expect(r.status).toBe(401);
  expect(r.body.error.code).toBe('token_revoked');
});

test('bad input is explained next to the field', async ({ page }) => {
  await signIn(page, 'bob');
  await page.getByRole('button', { name: 'New API token' }).click();
  await page.getByLabel('Name').fill('too far');
  // Past the 366-day maximum (the browser's max attribute is bypassed by typing).
  const tooFar = new Date(Date.now() + 400 * 86400_000).toISOString().slice(0, 10);
  await page.getByLabel('Expiration date').evaluate((el: HTMLInputElement) => el.removeAttribute('max'));
  await page.getByLabel('Expiration date').fill(tooFar);
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.locator('#new-token-expires-error')).toContainText('at most 366 days');
  await expect(page.getByLabel('Expiration date')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('textbox', { name: 'Token value' })).toHaveCount(0);
});

test('Rotate gives a new value and keeps the old one working for the chosen grace', async ({ page, request }) => {
  const old = mintToken('bob', 'rotating', ['--expires-in-days', '20']);
  await signIn(page, 'bob');
  const row = tokenRow(page, 'rotating');
  await row.getByRole('button', { name: 'Rotate' }).click();
  const dialog = page.getByRole('dialog', { name: 'Rotate token' });
  await expect(dialog).toContainText(old.slice(0, 12));
  const grace = dialog.getByLabel('Keep the old value working for');
  // The installation's maximum (24 hours by default) allows all three.
  await expect(grace.getByRole('option')).toHaveText(['None', '1 hour', '24 hours']);
  await grace.selectOption({ label: '1 hour' });
  await dialog.getByRole('button', { name: 'Rotate' }).click();
  await expect(dialog).toBeHidden();

  await expect(page.getByText('New value for “rotating”')).toBeVisible();
  const value = page.getByRole('textbox', { name: 'Token value' });
  await expect(value).toHaveValue(/^kwat_/);
  const fresh = await value.inputValue();
  expect(fresh).not.toBe(old);
  await expect(tokenRow(page, 'rotating')).toContainText('old value valid until');
  await expect(tokenRow(page, 'rotating')).toContainText(fresh.slice(0, 12));

  // Both work; the old one's answers say it was replaced.
  const r = await whoami(request, fresh);
  expect(r.status).toBe(200);
  expect(r.body.credential.expires_at.slice(0, 10))
    .toBe(new Date(Date.now() + 20 * 86400_000).toISOString().slice(0, 10));
  const res = await request.get('/api/v1/whoami', { headers: { Authorization: `Bearer ${old}` } });
  expect(res.status()).toBe(200);
  expect(res.headers()['keyward-token-replaced']).toBe('true');
});

test('Allowed IP ranges: set when minting, refused from elsewhere, edited on the row', async ({ page, request }) => {
  await signIn(page, 'bob');
  await page.getByRole('button', { name: 'New API token' }).click();
  await page.getByLabel('Name').fill('fenced');
  // The API requests of this test come from 127.0.0.1.
  await page.getByLabel('Allowed IP ranges').fill('127.0.0.2, 2001:db8::/32');
  await page.getByRole('button', { name: 'Create token' }).click();
  const value = page.getByRole('textbox', { name: 'Token value' });
  await expect(value).toHaveValue(/^kwat_/);
  const token = await value.inputValue();
  const row = tokenRow(page, 'fenced');
  await expect(row).toContainText('127.0.0.2/32');
  await expect(row).toContainText('2001:db8::/32');
  let r = await whoami(request, token);
  expect(r.status).toBe(401);
  expect(r.body.error.code).toBe('ip_not_allowed');

  // A bad range is named next to the field, and nothing changes.
  await row.getByRole('button', { name: 'Edit allowed IP ranges' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit allowed IP ranges' });
  const field = dialog.getByLabel('Allowed IP ranges');
  await expect(field).toHaveValue('127.0.0.2/32\n2001:db8::/32');
  await field.fill('127.0.0.1/8');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog.getByRole('alert').filter({ hasText: 'host bits set: the range is 127.0.0.0/8' })).toBeVisible();
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  expect((await whoami(request, token)).status).toBe(401);

  await field.fill('127.0.0.0/8');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  await expect(tokenRow(page, 'fenced')).toContainText('127.0.0.0/8');
  r = await whoami(request, token);
  expect(r.status).toBe(200);
  expect(r.body.credential.allowed_ips).toEqual(['127.0.0.0/8']);
});

test('Usage shows the requests per day and where the token was used from', async ({ page, request }) => {
  const token = mintToken('bob', 'busy', ['--expires-in-days', '20']);
  for (let i = 0; i < 3; i++) expect((await whoami(request, token)).status).toBe(200);
  await signIn(page, 'bob');
  await tokenRow(page, 'busy').getByRole('button', { name: 'Usage' }).click();
  const dialog = page.getByRole('dialog', { name: 'Usage' });
  await expect(dialog).toContainText(token.slice(0, 12));
  await expect(dialog.getByText('3 requests in the last 30 days, 3 today')).toBeVisible();
  await expect(dialog.getByRole('img', { name: /Requests per day, last 30 days\. 3 requests/ })).toBeVisible();
  await expect(dialog.locator('svg.usage-chart rect')).toHaveCount(1);
  const from = dialog.getByRole('table', { name: 'Last used from' });
  await expect(from.getByRole('row')).toHaveCount(2);
  await expect(from).toContainText('127.0.0.1');
  // `KW_SCREENSHOTS=1 npx playwright test tests/tokens.spec.ts` refreshes the README's picture.
  if (process.env.KW_SCREENSHOTS) await dialog.screenshot({ path: '../docs/usage-dialog.png' });
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
});

test('a token reported as exposed is revoked, and its owner is told', async ({ page, request }) => {
  // Due in 3 days: but for the report, it would be in the "Tokens expiring soon" banner.
  const token = mintToken('bob', 'leaky', ['--expires-in-days', '3']);
  // A scanner's report: no credential; the answer is a count only.
  const res = await request.post('/api/v1/tokens/report', { data: { tokens: [token, 'kwat_not-a-token'] } });
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ revoked: 1 });
  const r = await whoami(request, token);
  expect(r.status).toBe(401);
  expect(r.body.error.code).toBe('token_revoked');

  await signIn(page, 'bob');
  const banner = page.getByRole('region', { name: 'Tokens reported as exposed' });
  await expect(banner).toContainText(`API token “leaky” (${token.slice(0, 12)})`);
  const row = tokenRow(page, 'leaky');
  await expect(row).toContainText('Revoked: reported as exposed');
  await expect(page.getByRole('status').filter({ hasText: 'leaky' })).toHaveCount(0);
  for (const gone of ['Revoke', 'Rotate', 'Edit expiration', 'Edit allowed IP ranges']) {
    await expect(row.getByRole('button', { name: gone })).toHaveCount(0);
  }
  await row.getByRole('button', { name: 'Usage' }).click();
  await expect(page.getByRole('dialog', { name: 'Usage' })).toContainText(token.slice(0, 12));
});
