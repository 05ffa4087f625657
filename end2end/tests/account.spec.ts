import { test, expect } from './fixtures';
import { admin, holdAnswers, signIn, signOut } from './helpers';
import { PASSWORD } from './env';
import { totp } from './totp';

// Users: gina, hank, ivy, joy and kim (each spec file has its own: see serve.sh).

// A 1×1 PNG, and a text file wearing an image's name.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);
const FAKE = Buffer.from('this is not an image');

test('enrol TOTP, then sign in with a code computed from the shown secret', async ({ page }) => {
  await signIn(page, 'gina');
  await page.getByRole('button', { name: 'Manage MFA Settings' }).click();
  const dialog = page.getByRole('dialog', { name: 'Manage MFA Settings' });
  await dialog.getByRole('button', { name: 'Set up authenticator app' }).click();
  await expect(dialog.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  const secret = await dialog.getByLabel('Secret key').inputValue();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await expect(dialog.getByText(secret, { exact: true })).toBeVisible();

  await dialog.getByLabel('Authentication code').fill('000000');
  await dialog.getByRole('button', { name: 'Enable MFA' }).click();
  await expect(dialog.getByText('That code does not match')).toBeVisible();
  await dialog.getByLabel('Authentication code').fill(totp(secret));
  await dialog.getByRole('button', { name: 'Enable MFA' }).click();
  const codes = dialog.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
  await expect(codes).toHaveCount(10);
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(dialog).toBeHidden();

  await signOut(page);
  await page.getByLabel('Username').fill('gina');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const code = page.getByLabel('Authentication code');
  await expect(code).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
  await code.fill('123456');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('That code is not valid')).toBeVisible();
  // The enrolment used this step's code up: the app's next code is the one that works.
  await code.fill(totp(secret, 30));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole('heading', { name: 'API Tokens' })).toBeVisible();

  // Manage MFA Settings now offers to turn it off, with a code.
  await page.getByRole('button', { name: 'Manage MFA Settings' }).click();
  await expect(dialog.getByText('10 of 10 recovery codes left')).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Disable MFA' })).toBeVisible();
});

test('personal information shows in the overview; a peer sees neither email nor phone', async ({ page, browser }) => {
  await signIn(page, 'hank');
  await page.getByRole('button', { name: 'Update Personal Information' }).click();
  const dialog = page.getByRole('dialog', { name: 'Update Personal Information' });
  await dialog.getByLabel('Phone').fill('12');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog.getByText('Enter a phone number of 7 to 15 digits')).toBeVisible();
  await dialog.getByLabel('Display name').fill('Hank Hill');
  await dialog.getByLabel('Phone').fill('+1 214 555 0142');
  await dialog.getByLabel('Timezone').selectOption('America/Chicago');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  const overview = page.getByRole('region', { name: 'Profile Overview' });
  await expect(overview).toContainText('+1 214 555 0142');
  await expect(overview).toContainText('America/Chicago');
  await expect(overview).toContainText('hank@example.com');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Hank Hill');
  await expect(page.getByRole('banner')).toContainText('Hank Hill (hank)');

  const peerContext = await browser.newContext();
  const peer = await peerContext.newPage();
  await signIn(peer, 'ivy');
  await peer.goto('/users/hank');
  const seen = peer.getByRole('region', { name: 'Profile Overview' });
  await expect(seen).toContainText('Hank Hill');
  await expect(seen).toContainText('America/Chicago');
  await expect(seen).not.toContainText('hank@example.com');
  await expect(seen).not.toContainText('555 0142');
  await expect(seen.getByText('Email', { exact: true })).toHaveCount(0);
  await expect(peer.getByRole('button', { name: 'Update Personal Information' })).toHaveCount(0);
  await peerContext.close();
});

test('manage email addresses: add, make primary, remove', async ({ page }) => {
  await signIn(page, 'ivy');
  await page.getByRole('button', { name: 'Manage Email(s)' }).click();
  const dialog = page.getByRole('dialog', { name: 'Manage Email(s)' });
  await dialog.getByLabel('Email address').fill('hank@example.com');
  await dialog.getByRole('button', { name: 'Add email' }).click();
  await expect(dialog.getByText('That email address belongs to another account.')).toBeVisible();
  await dialog.getByLabel('Email address').fill('ivy@work.example');
  await dialog.getByRole('button', { name: 'Add email' }).click();
  const list = dialog.getByRole('list', { name: 'Your addresses' });
  await expect(list.getByRole('listitem')).toHaveCount(2);
  await expect(dialog.getByLabel('Email address')).toHaveValue('');
  await expect(list.getByRole('button', { name: 'Remove ivy@example.com' })).toHaveCount(0);
  await list.getByRole('button', { name: 'Make primary ivy@work.example' }).click();
  await expect(list.getByRole('listitem').filter({ hasText: 'ivy@work.example' })).toContainText('Primary');
  await list.getByRole('button', { name: 'Remove ivy@example.com' }).click();
  await expect(list.getByRole('listitem')).toHaveCount(1);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('region', { name: 'Profile Overview' })).toContainText('ivy@work.example');
});

test('update the avatar: a fake image is refused by content, a real one is shown', async ({ page }) => {
  await signIn(page, 'ivy');
  await page.getByRole('button', { name: 'Update Avatar' }).click();
  const dialog = page.getByRole('dialog', { name: 'Update Avatar' });
  await dialog.getByLabel('Image file').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: FAKE });
  await dialog.getByRole('button', { name: 'Upload avatar' }).click();
  await expect(page).toHaveURL(/\/profile\/avatar\?error=not_an_image$/);
  await expect(dialog.getByText('The file is not a PNG, JPEG or WebP image.')).toBeVisible();

  await dialog.getByLabel('Image file').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: PNG });
  await dialog.getByRole('button', { name: 'Upload avatar' }).click();
  await expect(page).toHaveURL(/\/profile\?avatar=updated$/);
  await expect(page.getByRole('status').filter({ hasText: 'Your new avatar is saved.' })).toBeVisible();
  const avatar = page.getByRole('img', { name: /^Avatar of / });
  await expect(avatar).toHaveAttribute('src', /^\/users\/ivy\/avatar\?v=\d+$/);
  await expect.poll(() => avatar.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);

  // The avatar links to the form.
  await page.getByRole('link', { name: /Avatar of/ }).click();
  await expect(page.getByRole('dialog', { name: 'Update Avatar' })).toBeVisible();
});

// The dialogs' actions are made by their lazily loaded bodies, once per page, under an owner
// that outlives the dialog (app/src/components/deferred.rs, `kept`): closing a dialog must
// not drop a reply still on its way, and reopening it starts without the last attempt's error.
test('a change answered after its dialog was closed still says so; reopening forgets the last error', async ({ page }) => {
  await signIn(page, 'joy');
  const open = page.getByRole('button', { name: 'Update Personal Information' });
  const dialog = page.getByRole('dialog', { name: 'Update Personal Information' });
  await open.click();
  await dialog.getByLabel('Phone').fill('12');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog.getByText('Enter a phone number of 7 to 15 digits')).toBeVisible();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await open.click();
  await expect(dialog.getByLabel('Display name')).toBeVisible();
  await expect(dialog.getByText('Enter a phone number of 7 to 15 digits')).toHaveCount(0);

  const release = await holdAnswers(page, '/rpc/update_personal_info');
  await dialog.getByLabel('Display name').fill('Joy After Close');
  await dialog.getByLabel('Phone').fill('');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  release();
  await expect(page.getByRole('status').filter({ hasText: 'Your personal information was saved.' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Joy After Close');
  await page.unroute('**/rpc/update_personal_info');
});

// The same actions ask for the password after the sudo window, then carry on: the retry
// goes through the action the dialog's chunk made.
test('adding an email after the sudo window asks for the password, then carries on', async ({ page }) => {
  await signIn(page, 'joy');
  // Every session of joy's (the test before signed in too) now asks again.
  expect(Number(admin('require-reauth', '--username', 'joy'))).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Manage Email(s)' }).click();
  const dialog = page.getByRole('dialog', { name: 'Manage Email(s)' });
  await dialog.getByLabel('Email address').fill('joy@home.example');
  await dialog.getByRole('button', { name: 'Add email' }).click();
  const confirm = page.getByRole('dialog', { name: 'Confirm access' });
  await expect(confirm).toBeVisible();
  await confirm.getByLabel('Password').fill(PASSWORD);
  await confirm.getByRole('button', { name: 'Confirm' }).click();
  await expect(confirm).toBeHidden();
  const list = dialog.getByRole('list', { name: 'Your addresses' });
  await expect(list.getByRole('listitem').filter({ hasText: 'joy@home.example' })).toBeVisible();
  await expect(list.getByRole('listitem')).toHaveCount(2);
});

// Recovery codes are shown once: if Enable MFA is answered after the dialog was closed, the
// dialog opens again to show them, and only Done lets them go.
test('MFA enabled after its dialog was closed still shows the recovery codes', async ({ page }) => {
  await signIn(page, 'kim');
  const open = page.getByRole('button', { name: 'Manage MFA Settings' });
  const dialog = page.getByRole('dialog', { name: 'Manage MFA Settings' });
  await open.click();
  await dialog.getByRole('button', { name: 'Set up authenticator app' }).click();
  const secret = await dialog.getByLabel('Secret key').inputValue();
  const release = await holdAnswers(page, '/rpc/enable_mfa');
  await dialog.getByLabel('Authentication code').fill(totp(secret));
  await dialog.getByRole('button', { name: 'Enable MFA' }).click();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  release();
  const codes = dialog.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
  await expect(codes).toHaveCount(10);
  await page.unroute('**/rpc/enable_mfa');
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(dialog).toBeHidden();
  await open.click();
  await expect(dialog.getByText('10 of 10 recovery codes left.')).toBeVisible();
  await expect(codes).toHaveCount(0);
});
