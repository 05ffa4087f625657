import { test, expect } from './fixtures';
import { admin, apiTokens, mintToken, signIn, tokenRow } from './helpers';

// Users: warden, an admin (each spec file has its own: see serve.sh).

test('each admin page loads its own section, rendered on the server and hydrated', async ({ page }) => {
  await signIn(page, 'warden');

  // Every page is opened directly: its section is rendered on the server, then hydrated.
  await page.goto('/admin/users');
  await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();
  const me = page.getByRole('table', { name: 'Users' }).getByRole('row').filter({ hasText: 'warden@example.com' });
  await expect(me).toContainText('Active');

  await page.goto('/admin/organizations');
  const newOrg = page.getByRole('form', { name: 'New organization' });
  await newOrg.getByLabel('Name').fill('Wardens Guild');
  await newOrg.getByRole('button', { name: 'Create organization' }).click();
  await expect(page.getByRole('list', { name: 'Organizations' })).toContainText('Wardens Guild');

  // The projects page offers the organizations, read with its own section.
  await page.goto('/admin/projects');
  const newProject = page.getByRole('form', { name: 'New project' });
  await newProject.getByLabel('Name').fill('warden-project');
  await newProject.getByLabel('Organization').selectOption('Wardens Guild');
  await newProject.getByRole('button', { name: 'Create project' }).click();
  await expect(page.getByRole('region', { name: 'warden-project' })).toContainText('Organization: Wardens Guild');

  await page.goto('/admin/oplogs');
  const newLog = page.getByRole('form', { name: 'New operation log' });
  await newLog.getByLabel('Project').selectOption({ label: 'warden-project' });
  await newLog.getByLabel('Name').fill('warden-log');
  await newLog.getByRole('button', { name: 'Create operation log' }).click();
  const log = page.getByRole('table', { name: 'Operation logs' }).getByRole('row').filter({ hasText: 'warden-log' });
  await expect(log).toContainText('warden-project');

  await page.goto('/admin/service-tokens');
  await expect(page.getByRole('heading', { name: 'Suspended service tokens', level: 1 })).toBeVisible();
  await expect(page.getByText('A service token is suspended')).toBeVisible();

  await page.goto('/admin/sessions');
  const mine = page.getByRole('table', { name: 'Sessions' }).getByRole('row').filter({ hasText: 'warden' });
  await expect(mine).toHaveCount(1);

  // The audit log, filtered to this admin's sign-ins; a user who does not exist is named.
  await page.goto('/admin/audit');
  await expect(page.getByRole('heading', { name: 'Audit log', level: 1 })).toBeVisible();
  const filter = page.getByRole('form', { name: 'Filter events' });
  await filter.getByLabel('User').fill('warden');
  await filter.getByLabel('Action').selectOption('sign_in');
  await filter.getByRole('button', { name: 'Filter' }).click();
  const rows = page.getByRole('table', { name: 'Audit log' }).getByRole('row');
  await expect(rows.filter({ hasText: 'browser session' }).first()).toContainText('warden');
  await expect(rows.filter({ hasText: 'api_token.minted' })).toHaveCount(0);
  await filter.getByLabel('User').fill('nobody-at-all');
  await filter.getByRole('button', { name: 'Filter' }).click();
  await expect(filter.getByText('There is no user named nobody-at-all.')).toBeVisible();
});

// The installation's defaults, restored after the settings test (the other spec files mint
// with them).
const DEFAULTS: [string, string][] = [
  ['max_token_days', '366'], ['allow_never_expiring', 'true'], ['default_api_token_days', '30'],
  ['max_rotation_grace_minutes', '1440'], ['expiry_webhook_url', ''],
];

test('the token settings page refuses a bad value by its field, then saves a tighter policy', async ({ page }) => {
  mintToken('warden', 'long-lived', ['--expires-in-days', '200']);
  await signIn(page, 'warden');
  try {
    await page.goto('/admin/settings');
    await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
    const form = page.getByRole('form', { name: 'Token settings' });
    const max = form.getByLabel('Maximum token lifetime (days)');
    await expect(max).toHaveValue('366');
    // Each field's hint is its accessible description, and a number field says its range.
    await expect(max).toHaveAccessibleDescription('1 to 3660 days.');
    await expect(max).toHaveAttribute('max', '3660');
    await expect(form.getByLabel('Expiry webhook URL')).toHaveAccessibleDescription(/^Expiry notices \(7 days/);
    await expect(form.getByLabel('Default API token lifetime (days)')).toHaveValue('30');
    await expect(form.getByLabel('Allow never-expiring service tokens')).toBeChecked();
    await expect(form.getByLabel('Maximum rotation grace (minutes)')).toHaveValue('1440');
    await expect(form.getByLabel('Expiry webhook URL')).toHaveValue('');

    // A refused value is named next to its field, and nothing is stored.
    await max.fill('0');
    await form.getByLabel('Default API token lifetime (days)').fill('14');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form.locator('#st-max-days-error')).toHaveText('Enter a whole number of days from 1 to 3660.');
    await expect(max).toHaveAttribute('aria-invalid', 'true');
    expect(admin('settings', 'get', 'default_api_token_days')).toBe('30');

    await max.fill('90');
    await form.getByLabel('Allow never-expiring service tokens').uncheck();
    await form.getByLabel('Maximum rotation grace (minutes)').fill('60');
    await form.getByLabel('Expiry webhook URL').fill('https://hooks.example.com/keyward');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form.getByRole('status')).toHaveText('Settings saved.');
    expect(admin('settings', 'get')).toBe([
      'max_token_days=90', 'allow_never_expiring=false', 'default_api_token_days=14',
      'max_rotation_grace_minutes=60', 'expiry_webhook_url=https://hooks.example.com/keyward',
    ].join('\n'));

    // At once on the profile: the older token keeps its date and is marked; the form
    // proposes the new default and offers no later date than the new maximum.
    await page.goto('/profile');
    const row = tokenRow(page, 'long-lived');
    await expect(row).toContainText('Beyond policy');
    await apiTokens(page).getByRole('button', { name: 'New API token' }).click();
    const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
    const expiry = page.getByLabel('Expiration date');
    await expect(expiry).toHaveValue(day(14));
    await expect(expiry).toHaveAttribute('max', day(90));
  } finally {
    for (const [key, value] of DEFAULTS) admin('settings', 'set', key, value);
  }
});
