import { test as base, expect } from '@playwright/test';

// Every test fails if the page logs an error or warning (a panic in the WASM, a hydration
// mismatch). Responses with an error status are expected in some tests (a refused sign-in
// answers 400), and Chromium logs each one as "Failed to load resource": those are not bugs.
export const test = base.extend<{ browserConsole: string[] }>({
  browserConsole: [async ({ page }, use) => {
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
    page.on('console', (m) => {
      if ((m.type() === 'error' || m.type() === 'warning') && !m.text().startsWith('Failed to load resource')) {
        problems.push(`${m.type()}: ${m.text()}`);
      }
    });
    await use(problems);
    expect(problems, 'the browser console').toEqual([]);
  }, { auto: true }],
});

export { expect };
