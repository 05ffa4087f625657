// `make bench`, figures 8-11: the profile page with 1,000 API and 1,000 service tokens, in
// headless Chromium (the one Playwright's tests use). Prints `key value` lines for report.py:
//   page.wasm_gz_bytes / page.wasm_bytes / page.js_gz_bytes: what /profile loads (gzip -9)
//   page.tti_ms.N, page.tti_ms: from navigation to "New API token" enabled (hydrated), each
//     of 5 cold loads (a new browser context each: no cache) and their median
//   page.toggle_ms.N, page.toggle_ms: from a click on the API card's Hide expired to the
//     table drawn without its expired rows, 5 times, and the median
//   page.html_bytes: the server-rendered HTML of /profile
// Usage: node page.mjs BASE_URL USERNAME PASSWORD (from scripts/bench.sh, after seeding).
import { createRequire } from 'module';
import { gzipSync } from 'zlib';
import { execFileSync } from 'child_process';

const require = createRequire(new URL('../../end2end/package.json', import.meta.url));
const { chromium } = require('@playwright/test');

const [base, username, password] = process.argv.slice(2);
const RUNS = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = (key, value) => console.log(`${key} ${value}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || execFileSync('sh', ['-c', 'command -v chromium']).toString().trim(),
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  // One sign-in; every context starts from its cookie.
  const signing = await browser.newContext({ baseURL: base });
  const login = await signing.request.post('/rpc/login', { form: { username, password }, maxRedirects: 0 });
  if (login.status() >= 400) throw new Error(`sign-in failed: ${login.status()}`);
  const storageState = await signing.storageState();
  await signing.close();

  const html = await (await browser.newContext({ baseURL: base, storageState })).request.get('/profile');
  if (html.status() !== 200) throw new Error(`/profile answered ${html.status()}`);
  out('page.html_bytes', (await html.body()).length);

  // The moment the button is enabled, seen by a MutationObserver from the first byte on.
  const watch = () => {
    const enabled = () => [...document.querySelectorAll('button')]
      .some((b) => b.textContent.trim() === 'New API token' && !b.disabled);
    new MutationObserver((_, observer) => {
      if (enabled()) { window.__interactive = performance.now(); observer.disconnect(); }
    }).observe(document, { subtree: true, childList: true, attributes: true });
  };

  const ttis = [];
  for (let run = 0; run <= RUNS; run++) {
    const context = await browser.newContext({ baseURL: base, storageState });
    const page = await context.newPage();
    const loaded = { wasm: 0, wasmGz: 0, jsGz: 0 };
    page.on('response', async (r) => {
      const path = new URL(r.url()).pathname;
      if (!path.startsWith('/pkg/')) return;
      const body = await r.body().catch(() => null);
      if (!body) return;
      if (path.endsWith('.wasm')) { loaded.wasm += body.length; loaded.wasmGz += gzipSync(body, { level: 9 }).length; }
      if (path.endsWith('.js')) loaded.jsGz += gzipSync(body, { level: 9 }).length;
    });
    await page.addInitScript(watch);
    await page.goto('/profile');
    await page.waitForFunction(() => window.__interactive !== undefined, null, { timeout: 30_000 });
    const ms = await page.evaluate(() => window.__interactive);
    // Run 0 warms the server (statement caches) and is not counted.
    if (run > 0) { ttis.push(ms); out(`page.tti_ms.${run}`, ms.toFixed(0)); }
    if (run === RUNS) {
      await page.waitForLoadState('networkidle');
      out('page.wasm_bytes', loaded.wasm);
      out('page.wasm_gz_bytes', loaded.wasmGz);
      out('page.js_gz_bytes', loaded.jsGz);

      // Hide expired on the API card, whose first page is all expired tokens: from the
      // click to a table without them. Off again between runs (not measured).
      const toggles = [];
      const box = page.getByRole('region', { name: 'API Tokens' }).getByRole('checkbox', { name: 'Hide expired' });
      for (let i = 1; i <= RUNS; i++) {
        const took = await box.evaluate((el) => new Promise((resolve, reject) => {
          const card = el.closest('section');
          const t0 = performance.now();
          const done = () => card.querySelector('tr.expiry-expired') === null && card.querySelector('table');
          const observer = new MutationObserver(() => {
            if (done()) { observer.disconnect(); resolve(performance.now() - t0); }
          });
          observer.observe(card, { subtree: true, childList: true, attributes: true });
          setTimeout(() => reject(new Error('Hide expired did not apply within 10 s')), 10_000);
          el.click();
        }));
        toggles.push(took);
        out(`page.toggle_ms.${i}`, took.toFixed(1));
        await box.uncheck();
        await page.locator('tr.expiry-expired').first().waitFor();
      }
      out('page.toggle_ms', median(toggles).toFixed(1));
    }
    await context.close();
  }
  out('page.tti_ms', median(ttis).toFixed(0));
} finally {
  await browser.close();
}
