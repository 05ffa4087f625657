// The README's screenshots of the profile at a phone's width and at 200% zoom:
//   node scripts/screenshots.mjs BASE_URL USERNAME PASSWORD
// against a running server (`make run`) where USERNAME has a few tokens. Writes
// docs/profile-375.png and docs/profile-zoom200.png.
import { createRequire } from 'module';
import { execFileSync } from 'child_process';

const require = createRequire(new URL('../end2end/package.json', import.meta.url));
const { chromium } = require('@playwright/test');
const [base, username, password] = process.argv.slice(2);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || execFileSync('sh', ['-c', 'command -v chromium']).toString().trim(),
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const shots = [
    ['docs/profile-375.png', { width: 375, height: 812 }, 2],
    // A 1280 px wide window at 200% zoom: 640 CSS px, each 2 device px.
    ['docs/profile-zoom200.png', { width: 640, height: 900 }, 2],
  ];
  for (const [file, viewport, deviceScaleFactor] of shots) {
    const context = await browser.newContext({ baseURL: base, viewport, deviceScaleFactor });
    const login = await context.request.post('/rpc/login', { form: { username, password }, maxRedirects: 0 });
    if (login.status() >= 400) throw new Error(`sign-in failed: ${login.status()}`);
    const page = await context.newPage();
    await page.goto('/profile');
    await page.getByRole('button', { name: 'New API token' }).and(page.locator(':enabled')).waitFor();
    // The top of the page: the bar, the account actions and the start of the API Tokens card.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: file });
    console.log(`wrote ${file}`);
    await context.close();
  }
} finally {
  await browser.close();
}
