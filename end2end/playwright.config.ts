import { execFileSync } from 'child_process';
import { defineConfig } from '@playwright/test';
import { PORT, BASE_URL } from './tests/env';

/** The Chromium that scripts/setup.sh accepted, found the same way (`command -v chromium`):
 * Debian's is /usr/bin/chromium, but any on PATH will do; CHROMIUM_PATH overrides both. */
function chromium(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium']).toString().trim();
  } catch {
    throw new Error('no `chromium` on PATH: run `make setup`, or set CHROMIUM_PATH');
  }
}

// Against the release build (`make build`), on a fresh database seeded by serve.sh.
export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  globalTeardown: './tests/no-secrets-in-log.ts',
  use: {
    baseURL: BASE_URL,
    browserName: 'chromium',
    trace: 'off',
    launchOptions: {
      executablePath: chromium(),
      // The machine has no network: these keep Chromium from trying to reach it.
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    },
  },
  webServer: {
    command: `bash ./serve.sh ${PORT}`,
    url: `${BASE_URL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
