import { test, expect } from './fixtures';
import { signIn } from './helpers';

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
