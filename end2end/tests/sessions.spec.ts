import { test, expect } from './fixtures';
import { signIn } from './helpers';

test('an admin revokes a session in /admin/sessions and that browser is signed out', async ({ page, browser }) => {
  // erin signs in in her own browser and sees this session marked.
  const erinContext = await browser.newContext();
  const erin = await erinContext.newPage();
  await signIn(erin, 'erin');
  const card = erin.getByRole('region', { name: 'Sessions' });
  await expect(card.getByRole('row').filter({ hasText: 'This session' })).toHaveCount(1);

  await signIn(page, 'root');
  await page.goto('/admin/sessions');
  await page.getByLabel('Filter by user').fill('erin');
  const rows = page.getByRole('table', { name: 'Sessions' }).getByRole('row').filter({ hasText: 'erin' });
  await expect(rows).toHaveCount(1);
  await rows.getByRole('button', { name: /^Revoke session/ }).click();
  await expect(page.getByRole('table', { name: 'Sessions' }).getByRole('row').filter({ hasText: 'erin' })).toHaveCount(0);

  // erin's next request finds her signed out.
  await erin.reload();
  await expect(erin).toHaveURL(/\/login$/);
  await erinContext.close();
});
