import { test, expect } from './fixtures';
import { signIn, signOut, whoami } from './helpers';
import { PASSWORD } from './env';

// Users: alice (each spec file has its own: see serve.sh).

test('the profile needs a signed-in user', async ({ page }) => {
  await page.goto('/profile');
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
});

test('wrong credentials get one message that does not say which part was wrong', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Incorrect username or password.');
  await expect(page).toHaveURL(/\/login/);
});

test('sign in shows the profile overview, sign out ends it', async ({ page }) => {
  await signIn(page, 'alice');
  const overview = page.getByRole('region', { name: 'Profile Overview' });
  await expect(overview).toContainText('Alice Example');
  await expect(overview).toContainText('alice@example.com');
  await expect(overview).toContainText('Assigned projects (0)');
  await signOut(page);
  await page.goto('/profile');
  await expect(page).toHaveURL(/\/login$/);
});

// A JWT goes through the server too, so that the server-log check (no-secrets-in-log.ts) has
// one to look for.
test('the API login answers a JWT that whoami takes', async ({ request }) => {
  const res = await request.post('/api/v1/login', { data: { username: 'alice', password: PASSWORD } });
  expect(res.status()).toBe(200);
  const { token } = await res.json();
  expect(token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  const who = await whoami(request, token);
  expect(who.status).toBe(200);
  expect(who.body.user.username).toBe('alice');
  expect(who.body.credential.kind).toBe('login_session');
});
