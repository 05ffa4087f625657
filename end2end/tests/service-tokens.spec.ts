import { test, expect } from './fixtures';
import { signIn, signOut, whoami, tokenRow, admin, mintToken, serviceTokens, apiTokens, localStorageOf } from './helpers';

// Users: sam, dave and root, an admin (each spec file has its own: see serve.sh).
// sam holds can_change_configs on "falcon" (through a direct grant), nothing on "osprey".
// Playwright runs beforeAll again in a fresh worker after a failed test: the names are kept
// unique so that a second run does not collide with the first.
const FALCON = `falcon-${Date.now().toString(36)}`;
let falcon = '';
let osprey = '';
test.beforeAll(() => {
  falcon = admin('create-project', '--name', FALCON);
  osprey = admin('create-project', '--name', `osprey-${FALCON}`);
  admin('grant', '--project', falcon, '--username', 'sam', '--can-change-configs');
  admin('create-oplog', '--project', falcon, '--name', 'ops');
});

async function api(request: any, method: string, path: string, token: string, data?: unknown) {
  const res = await request.fetch(path, { method, headers: { Authorization: `Bearer ${token}` }, data });
  return { status: res.status(), body: await res.json().catch(() => null) };
}

test('a project service token with one flag: minted in the browser, used, revoked', async ({ page, request }) => {
  await signIn(page, 'sam');
  const card = serviceTokens(page);
  await card.getByRole('button', { name: 'New service token' }).click();
  const form = page.getByRole('form', { name: 'New service token' });
  await form.getByLabel('Principal', { exact: true }).selectOption({ label: 'Create a new principal…' });
  await form.getByLabel('New principal').fill('ci-e2e');
  await form.getByLabel('Description').fill('deploys falcon from CI');
  await form.getByLabel('Name', { exact: true }).fill('deploy falcon');
  await expect(form.getByLabel('Scope')).toHaveValue('project');
  await form.getByRole('combobox', { name: 'Project' }).selectOption({ label: FALCON });
  // Only what sam holds can be ticked.
  await expect(form.getByRole('checkbox', { name: /can_change_configs/ })).toBeEnabled();
  await expect(form.getByRole('checkbox', { name: /can_change_secrets/ })).toBeDisabled();
  await expect(form.getByRole('checkbox', { name: /can_delete_project/ })).toBeDisabled();
  await form.getByRole('checkbox', { name: /can_change_configs/ }).check();
  await expect(form.getByLabel('Expires in days')).toHaveValue('365');
  // 0 means never: allowed, with a visible warning.
  await form.getByLabel('Expires in days').fill('0');
  await expect(form.getByText('This token will never expire')).toBeVisible();
  await form.getByLabel('Expires in days').fill('30');
  await expect(form.getByText('This token will never expire')).toBeHidden();
  await form.getByRole('button', { name: 'Create service token' }).click();

  const value = card.getByRole('textbox', { name: 'Token value' });
  await expect(value).toHaveValue(/^kwst_[0-9A-Za-z]{36}$/);
  const token = await value.inputValue();
  await expect(card.getByText('will not be shown again')).toBeVisible();

  const who = await whoami(request, token);
  expect(who.status).toBe(200);
  expect(who.body.service_principal.name).toBe('ci-e2e');
  expect(who.body.user).toBeNull();
  expect(who.body.grants.permissions).toEqual(['can_read', 'can_change_configs']);

  // Allowed with its flag; 403 without; 404 outside its project.
  expect((await api(request, 'PUT', `/api/v1/projects/${falcon}/config`, token, { stage: 'prod' })).status).toBe(200);
  const refused = await api(request, 'PUT', `/api/v1/projects/${falcon}/secrets/KEY`, token, { value: 'x' });
  expect(refused.status).toBe(403);
  expect(refused.body.error.code).toBe('forbidden');
  expect((await api(request, 'GET', `/api/v1/projects/${osprey}`, token)).status).toBe(404);

  const row = tokenRow(page, 'deploy falcon');
  await expect(row).toContainText('ci-e2e');
  await expect(row).toContainText(`Project “${FALCON}”`);
  await expect(row).toContainText('can_change_configs');
  await expect(row).toContainText(token.slice(0, 12));

  await row.getByRole('button', { name: 'Revoke' }).click();
  const confirm = page.getByRole('dialog', { name: 'Revoke token?' });
  await expect(confirm).toContainText('deploy falcon');
  await confirm.getByRole('button', { name: 'Revoke' }).click();
  // While the dialog is open the page behind it is hidden from role queries: wait for it
  // to close (the revocation is done) before looking at the rows.
  await expect(confirm).toBeHidden();
  await expect(tokenRow(page, 'deploy falcon')).toHaveCount(0);
  const after = await whoami(request, token);
  expect(after.status).toBe(401);
  expect(after.body.error.code).toBe('token_revoked');
});

test('an escalation the form does not offer is refused by the server too', async ({ page }) => {
  await signIn(page, 'sam');
  await serviceTokens(page).getByRole('button', { name: 'New service token' }).click();
  const form = page.getByRole('form', { name: 'New service token' });
  await form.getByLabel('New principal').fill('sneaky');
  await form.getByLabel('Name', { exact: true }).fill('too much');
  const secrets = form.getByRole('checkbox', { name: /can_change_secrets/ });
  // Re-enable the disabled checkbox by hand, as a crafted request would.
  await secrets.evaluate((el: HTMLInputElement) => { el.disabled = false; el.checked = true; });
  await form.getByRole('button', { name: 'Create service token' }).click();
  await expect(form.locator('#st-can_change_secrets-error')).toContainText('does not hold can_change_secrets');
  await expect(page.getByRole('textbox', { name: 'Token value' })).toHaveCount(0);
});

test('the Service Tokens card has its own Hide expired, kept in localStorage', async ({ page }) => {
  admin('mint-service-token', '--created-by', 'sam', '--principal', 'old-bot', '--name', 'st-expired',
    '--project', falcon, '--expires-at', '2025-01-01T00:00:00Z');
  admin('mint-service-token', '--created-by', 'sam', '--principal', 'old-bot', '--name', 'st-soon',
    '--project', falcon, '--expires-in-days', '3');
  await signIn(page, 'sam');
  const card = serviceTokens(page);
  await expect(tokenRow(page, 'st-expired')).toContainText('Expired');
  await expect(tokenRow(page, 'st-soon')).toContainText('Expires in 3 days');

  const hide = card.getByRole('checkbox', { name: 'Hide expired' });
  await hide.check();
  await expect(tokenRow(page, 'st-expired')).toHaveCount(0);
  await expect(tokenRow(page, 'st-soon')).toBeVisible();
  // Kept in this browser's localStorage, under a key of its own.
  expect(await localStorageOf(page)).toEqual({ 'keyward.service_tokens.hide_expired': 'true' });

  await page.reload();
  await expect(serviceTokens(page).getByRole('checkbox', { name: 'Hide expired' })).toBeChecked();
  await expect(tokenRow(page, 'st-expired')).toHaveCount(0);
  // Now that the stored value has been read back, the API Tokens card's toggle is still off.
  await expect(apiTokens(page).getByRole('checkbox', { name: 'Hide expired' })).not.toBeChecked();
  await serviceTokens(page).getByRole('checkbox', { name: 'Hide expired' }).uncheck();
  await expect(tokenRow(page, 'st-expired')).toBeVisible();
});

test('an admin creates a team and a grant in the admin pages; the member sees the project', async ({ page, request }) => {
  await signIn(page, 'root');
  await page.getByRole('link', { name: 'Administration' }).click();
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Teams' }).click();
  await expect(page.getByRole('heading', { name: 'Teams', level: 1 })).toBeVisible();
  const newTeam = page.getByRole('form', { name: 'New team' });
  await newTeam.getByLabel('Name').fill('hawks');
  await newTeam.getByRole('button', { name: 'Create team' }).click();
  const team = page.getByRole('region', { name: 'hawks' });
  await team.getByLabel('Username').fill('dave');
  await team.getByRole('button', { name: 'Add member' }).click();
  await expect(team.getByRole('list', { name: 'Members of hawks' })).toContainText('dave');

  // Loaded directly this time: the admin pages render on the server and hydrate too.
  await page.goto('/admin/projects');
  const newProject = page.getByRole('form', { name: 'New project' });
  await newProject.getByLabel('Name').fill('kestrel');
  await newProject.getByRole('button', { name: 'Create project' }).click();
  const project = page.getByRole('region', { name: 'kestrel' });
  await project.getByLabel('Grant to').selectOption('team');
  await project.getByLabel('Team or username').fill('hawks');
  await project.getByRole('checkbox', { name: /can_change_secrets/ }).check();
  await project.getByRole('button', { name: 'Grant access' }).click();
  await expect(project.getByRole('table', { name: 'Grants on kestrel' })).toContainText('Team hawks');
  await expect(project.getByRole('table', { name: 'Grants on kestrel' })).toContainText('can_change_secrets');
  // A grant to a team that does not exist is explained next to the field.
  await project.getByLabel('Team or username').fill('nobody-team');
  await project.getByRole('button', { name: 'Grant access' }).click();
  await expect(project.getByText('There is no team named')).toBeVisible();
  await signOut(page);

  await signIn(page, 'dave');
  const overview = page.getByRole('region', { name: 'Profile Overview' });
  await expect(overview).toContainText('Assigned projects (1)');
  await expect(overview).toContainText('hawks');
  await serviceTokens(page).getByRole('button', { name: 'New service token' }).click();
  const projects = page.getByRole('form', { name: 'New service token' }).getByRole('combobox', { name: 'Project' });
  await expect(projects.getByRole('option')).toHaveText(['kestrel']);

  const token = mintToken('dave', 'dave-cli', ['--expires-in-days', '1']);
  const list = await api(request, 'GET', '/api/v1/projects', token);
  expect(list.status).toBe(200);
  expect(list.body.map((p: any) => p.name)).toEqual(['kestrel']);
  expect(list.body[0].permissions.can_change_secrets).toBe(true);
});

test('Rotate on the Service Tokens card: a new value once, the old one for its grace', async ({ page, request }) => {
  const old = admin('mint-service-token', '--created-by', 'sam', '--principal', 'rot-bot',
    '--name', 'st-rotating', '--project', falcon, '--expires-in-days', '30');
  admin('mint-service-token', '--created-by', 'sam', '--principal', 'rot-bot',
    '--name', 'st-rot-expired', '--project', falcon, '--expires-at', '2025-01-01T00:00:00Z');
  await signIn(page, 'sam');
  // An expired token has nothing to rotate.
  await expect(tokenRow(page, 'st-rot-expired').getByRole('button', { name: 'Rotate' })).toHaveCount(0);

  await tokenRow(page, 'st-rotating').getByRole('button', { name: 'Rotate' }).click();
  const dialog = page.getByRole('dialog', { name: 'Rotate token' });
  await dialog.getByLabel('Keep the old value working for').selectOption({ label: '24 hours' });
  await dialog.getByRole('button', { name: 'Rotate' }).click();
  await expect(dialog).toBeHidden();
  await expect(serviceTokens(page).getByText('New value for “st-rotating”')).toBeVisible();
  const fresh = await page.getByRole('textbox', { name: 'Token value' }).inputValue();
  expect(fresh).toMatch(/^kwst_[0-9A-Za-z]{36}$/);
  await expect(tokenRow(page, 'st-rotating')).toContainText('old value valid until');

  const r = await whoami(request, fresh);
  expect(r.status).toBe(200);
  expect(r.body.credential.kind).toBe('service_token');
  const res = await request.get('/api/v1/whoami', { headers: { Authorization: `Bearer ${old}` } });
  expect(res.status()).toBe(200);
  expect(res.headers()['keyward-token-replaced']).toBe('true');
});

test('a service token with Allowed IP ranges works only from them', async ({ page, request }) => {
  await signIn(page, 'sam');
  await serviceTokens(page).getByRole('button', { name: 'New service token' }).click();
  const form = page.getByRole('form', { name: 'New service token' });
  await form.getByLabel('New principal').fill('fenced-bot');
  await form.getByLabel('Name', { exact: true }).fill('st-fenced');
  await form.getByRole('combobox', { name: 'Project' }).selectOption({ label: FALCON });
  await form.getByLabel('Allowed IP ranges').fill('192.0.2.0/24');
  await form.getByRole('button', { name: 'Create service token' }).click();
  const value = page.getByRole('textbox', { name: 'Token value' });
  await expect(value).toHaveValue(/^kwst_/);
  const token = await value.inputValue();
  await expect(tokenRow(page, 'st-fenced')).toContainText('192.0.2.0/24');
  let r = await whoami(request, token);
  expect(r.status).toBe(401);
  expect(r.body.error.code).toBe('ip_not_allowed');

  // Emptied: from any address.
  await tokenRow(page, 'st-fenced').getByRole('button', { name: 'Edit allowed IP ranges' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit allowed IP ranges' });
  await dialog.getByLabel('Allowed IP ranges').fill('');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  await expect(tokenRow(page, 'st-fenced').getByRole('cell', { name: 'Any', exact: true })).toBeVisible();
  r = await whoami(request, token);
  expect(r.status).toBe(200);
  expect(r.body.credential.allowed_ips).toEqual([]);
});
