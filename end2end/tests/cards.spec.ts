import { test, expect } from './fixtures';
import { admin, apiTokens, mintToken, serviceTokens, signIn, tokenRow } from './helpers';

// Users: ada, who holds can_change_configs on a project of her own (each spec file has its
// own: see serve.sh). The token cards' actions are made by their forms' and dialogs' own
// chunks (components/card.rs): these check what that must keep.

const run = Date.now().toString(36);
const PROJECT = `merlin-${run}`;
let merlin = '';
test.beforeAll(() => {
  merlin = admin('create-project', '--name', PROJECT);
  admin('grant', '--project', merlin, '--username', 'ada', '--can-change-configs');
});

test('each card rotates with its own action: the value shows in the card it was asked in', async ({ page }) => {
  mintToken('ada', `api-${run}`, ['--expires-in-days', '20']);
  admin('mint-service-token', '--created-by', 'ada', '--principal', `bot-${run}`,
    '--name', `svc-${run}`, '--project', merlin, '--expires-in-days', '30');
  await signIn(page, 'ada');
  for (const [name, card] of [[`api-${run}`, apiTokens(page)], [`svc-${run}`, serviceTokens(page)]] as const) {
    await tokenRow(page, name).getByRole('button', { name: 'Rotate' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate token' });
    await dialog.getByRole('button', { name: 'Rotate' }).click();
    await expect(dialog).toBeHidden();
    await expect(card.getByText(`New value for “${name}”`)).toBeVisible();
    await expect(card.getByRole('textbox', { name: 'Token value' })).toHaveValue(/^kw(at|st)_/);
  }
  // The first card still shows its own value.
  await expect(apiTokens(page).getByText(`New value for “api-${run}”`)).toBeVisible();
});

test('a refused field keeps the New form as typed, and the list is not loaded again', async ({ page }) => {
  await signIn(page, 'ada');
  const card = apiTokens(page);
  await card.getByRole('button', { name: 'New API token' }).click();
  await page.getByLabel('Name').fill('kept as typed');
  await page.getByLabel('Allowed IP ranges').fill('not an address');
  let reloads = 0;
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/rpc/api_tokens') reloads += 1; });
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.locator('#new-token-allowed-ips-error')).not.toBeEmpty();
  // (A reload would come right after the answer: give it the time to.)
  await page.waitForLoadState('networkidle');
  await expect(page.getByLabel('Name')).toHaveValue('kept as typed');
  await expect(page.getByLabel('Allowed IP ranges')).toHaveValue('not an address');
  expect(reloads).toBe(0);
});

test('a dialog opened again forgets its last error', async ({ page }) => {
  mintToken('ada', `fenced-${run}`, ['--expires-in-days', '20']);
  await signIn(page, 'ada');
  const row = tokenRow(page, `fenced-${run}`);
  await row.getByRole('button', { name: 'Edit allowed IP ranges' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit allowed IP ranges' });
  await dialog.getByLabel('Allowed IP ranges').fill('10.0.0.1/8');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog.getByRole('alert').filter({ hasText: 'host bits set' })).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await row.getByRole('button', { name: 'Edit allowed IP ranges' }).click();
  await expect(dialog.getByLabel('Allowed IP ranges')).toBeVisible();
  await expect(dialog.getByText('host bits set')).toHaveCount(0);
});

test('a project\'s Service Tokens tab forgets the value shown once the tab is left', async ({ page }) => {
  await signIn(page, 'ada');
  await page.goto(`/projects/${merlin}?tab=service-tokens`);
  const card = page.getByRole('region', { name: 'Service Tokens' });
  await card.getByRole('button', { name: 'New token' }).click();
  const form = page.getByRole('form', { name: 'New service token' });
  await form.getByLabel('New principal').fill(`tab-bot-${run}`);
  await form.getByLabel('Name', { exact: true }).fill(`tab-${run}`);
  await form.getByRole('button', { name: 'Create service token' }).click();
  await expect(card.getByRole('textbox', { name: 'Token value' })).toHaveValue(/^kwst_/);
  await page.getByRole('tab', { name: 'Config' }).click();
  await expect(page).toHaveURL(/\?tab=config$/);
  await page.getByRole('tab', { name: 'Service Tokens' }).click();
  await expect(tokenRow(page, `tab-${run}`)).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Token value' })).toHaveCount(0);
});
