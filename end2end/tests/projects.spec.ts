import { test, expect } from './fixtures';
import { admin, pageText, signIn, tokenRow, whoami } from './helpers';

// Users: pia and quinn (team "herons" on project "heron"; pia also holds can_change_secrets),
// sol (can_change_configs), and rex, who holds nothing (each spec file has its own: see
// serve.sh).

// One retry for this file: the outsider's 404 page arrived twice (in 5 full runs on
// 2026-12-07) with the locked-down Content-Security-Policy of answers that are not pages,
// instead of the page's, so its scripts were blocked; the cause is not found yet (see the
// README, Tests). A second failure still fails the run, and a retry is reported as flaky.
test.describe.configure({ retries: 1 });

let heron = '';
// Names of their own per run: after a failure Playwright starts a new worker, which runs
// this again on the same database.
const run = Date.now().toString(36);
const NAME = `heron-${run}`;

test.beforeAll(() => {
  heron = admin('create-project', '--name', NAME);
  admin('create-team', '--name', `herons-${run}`);
  admin('add-to-team', '--team', `herons-${run}`, '--username', 'pia');
  admin('add-to-team', '--team', `herons-${run}`, '--username', 'quinn');
  admin('grant', '--project', heron, '--team', `herons-${run}`);
  admin('grant', '--project', heron, '--username', 'pia', '--can-change-secrets');
  admin('create-oplog', '--project', heron, '--name', `ops-${run}`);
  admin('grant', '--project', heron, '--username', 'sol', '--can-change-configs');
});

test('open the project, Service Tokens tab, New token, Create: the GetWebstack flow for a team member', async ({ page, request, browser }) => {
  await signIn(page, 'pia');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Projects' }).click();
  await expect(page).toHaveURL(/\/projects$/);
  const row = page.getByRole('table', { name: 'Projects' }).getByRole('row').filter({ hasText: NAME });
  await expect(row).toContainText('can_change_secrets');
  await row.getByRole('link', { name: NAME }).click();
  await expect(page.getByRole('heading', { name: NAME, level: 1 })).toBeVisible();

  // The tabs: arrow keys move the selection, which the URL keeps.
  const tabs = page.getByRole('tablist', { name: 'Project sections' });
  await expect(tabs.getByRole('tab', { name: 'Overview' })).toHaveAttribute('aria-selected', 'true');
  await tabs.getByRole('tab', { name: 'Overview' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page).toHaveURL(/\?tab=config$/);
  await expect(tabs.getByRole('tab', { name: 'Config' })).toBeFocused();
  await expect(tabs.getByRole('tab', { name: 'Config' })).toHaveAttribute('aria-selected', 'true');
  // pia cannot change the config: no button, and the server refuses a crafted call.
  await expect(page.getByRole('tabpanel')).toContainText('Config');
  await expect(page.getByRole('button', { name: 'Edit config' })).toHaveCount(0);
  const crafted = await page.request.post('/rpc/set_project_config', { form: { project: heron, config: '{"x": 1}' } });
  expect(crafted.status()).toBe(403);

  await page.keyboard.press('End');
  await expect(page).toHaveURL(/\?tab=service-tokens$/);
  const card = page.getByRole('region', { name: 'Service Tokens' });
  await card.getByRole('button', { name: 'New token' }).click();
  const form = page.getByRole('form', { name: 'New service token' });
  await form.getByLabel('New principal').fill('heron-ci');
  await form.getByLabel('Name', { exact: true }).fill('heron deploy');
  // The project is fixed; only what pia holds can be ticked.
  await expect(form.getByRole('combobox', { name: 'Project' }).getByRole('option')).toHaveText([NAME]);
  await expect(form.getByRole('checkbox', { name: /can_change_configs/ })).toBeDisabled();
  await form.getByRole('checkbox', { name: /can_change_secrets/ }).check();
  await form.getByRole('button', { name: 'Create service token' }).click();
  const value = card.getByRole('textbox', { name: 'Token value' });
  await expect(value).toHaveValue(/^kwst_[0-9A-Za-z]{36}$/);
  const token = await value.inputValue();
  const minted = tokenRow(page, 'heron deploy');
  await expect(minted).toContainText('pia');
  await expect(minted).toContainText('heron-ci');
  await expect(minted).toContainText(token.slice(0, 12));
  await expect(minted.getByRole('button', { name: 'Revoke' })).toBeVisible();
  expect((await whoami(request, token)).status).toBe(200);
  // `KW_SCREENSHOTS=1 npx playwright test tests/projects.spec.ts` refreshes the README's picture.
  if (process.env.KW_SCREENSHOTS) {
    await card.getByRole('button', { name: 'Done' }).click().catch(() => {});
    await page.screenshot({ path: '../docs/project-service-tokens.png', fullPage: true });
  }

  // A secret: set in a password field, then listed by name only.
  await tabs.getByRole('tab', { name: 'Secrets' }).click();
  await expect(page).toHaveURL(/\?tab=secrets$/);
  const set = page.getByRole('form', { name: 'Set secret' });
  await expect(set.getByLabel('Value')).toHaveAttribute('type', 'password');
  await set.getByLabel('Name').fill('API_KEY');
  await set.getByLabel('Value').fill('hunter2-do-not-show');
  await set.getByRole('button', { name: 'Set secret' }).click();
  await expect(page.getByRole('table', { name: 'Secrets' })).toContainText('API_KEY');
  await page.reload();
  await expect(page.getByRole('table', { name: 'Secrets' })).toContainText('API_KEY');
  expect(await pageText(page)).not.toContain('hunter2-do-not-show');

  // An operation-log entry, from the Operation logs tab.
  await tabs.getByRole('tab', { name: 'Operation logs' }).click();
  await expect(page).toHaveURL(/\?tab=oplogs$/);
  const log = page.getByRole('region', { name: `ops-${run}` });
  await log.getByRole('button', { name: 'New entry' }).click();
  const entry = log.getByRole('form', { name: 'New entry' });
  await entry.getByRole('button', { name: 'Add entry' }).click();
  await expect(entry.getByText('Say what was done')).toBeVisible();
  await entry.getByLabel('Command').fill('kubectl rollout restart deploy/api');
  await entry.getByLabel('Source host').fill('bastion-1');
  await entry.getByRole('button', { name: 'Add entry' }).click();
  const entries = log.getByRole('table', { name: `Latest entries of ops-${run}` });
  await expect(entries).toContainText('kubectl rollout restart deploy/api');
  await expect(entries).toContainText('bastion-1');

  // quinn, in the same team without the flag, sees the token but cannot revoke it.
  const quinnContext = await browser.newContext();
  const quinn = await quinnContext.newPage();
  await signIn(quinn, 'quinn');
  await quinn.goto(`/projects/${heron}?tab=service-tokens`);
  const seen = tokenRow(quinn, 'heron deploy');
  await expect(seen).toContainText('pia');
  await expect(seen.getByRole('button', { name: 'Revoke' })).toHaveCount(0);
  await quinnContext.close();

  // pia revokes it, with confirmation; it stops working at once.
  await page.goto(`/projects/${heron}?tab=service-tokens`);
  await tokenRow(page, 'heron deploy').getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('dialog', { name: 'Revoke token?' }).getByRole('button', { name: 'Revoke' }).click();
  await expect(tokenRow(page, 'heron deploy')).toHaveCount(0);
  expect((await whoami(request, token)).status).toBe(401);
});

test('an outsider gets the not-found page for the project, as for one that does not exist', async ({ page }) => {
  await signIn(page, 'rex');
  for (const path of [`/projects/${heron}`, '/projects/999999']) {
    const res = await page.goto(path);
    expect(res?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
    expect(await pageText(page)).not.toContain(NAME);
  }
  await page.goto('/projects');
  await expect(page.getByText('You hold no grant on any project yet.')).toBeVisible();
});

test('edit the config: invalid JSON is refused with its line and column, valid JSON is saved formatted', async ({ page }) => {
  await signIn(page, 'sol');
  await page.goto(`/projects/${heron}?tab=config`);
  await page.getByRole('button', { name: 'Edit config' }).click();
  const form = page.getByRole('form', { name: 'Edit config' });
  await form.getByLabel('Config (JSON)').fill('{\n  "stage": "prod",\n}');
  await form.getByRole('button', { name: 'Save config' }).click();
  await expect(form.getByText('line 3, column 1')).toBeVisible();
  await expect(form.getByLabel('Config (JSON)')).toHaveAttribute('aria-invalid', 'true');
  await form.getByLabel('Config (JSON)').fill('{"stage": "prod", "replicas": 3}');
  await form.getByRole('button', { name: 'Save config' }).click();
  const shown = page.getByRole('tabpanel', { name: 'Config' }).locator('pre');
  await expect(shown).toContainText('"replicas": 3');
  await expect(shown).toContainText('"stage": "prod"');
  // Shown formatted, one key a line.
  expect((await shown.textContent())?.split('\n').length).toBeGreaterThan(2);
});
