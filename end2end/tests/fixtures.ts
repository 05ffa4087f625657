import { test as base, expect, BrowserContext } from '@playwright/test';
import { record } from './leaks';

// The error answers the tests provoke on purpose, by path: a server function refusing bad
// input (a wrong password or code, a taken email, an escalation, a date too far) answers 400
// or 422 and the page says why. Any other error answer fails the test: a 401, 403 or 404 from
// the app, any 5xx, a missing /pkg/keyward.wasm or /pkg/keyward.js.
// Security (issue 13): a sign-in over the rate limit is 429; a sensitive change after the sudo
// window is 403 ReauthRequired (the page then asks for the password).
const EXPECTED_ERRORS: Record<string, number[]> = {
  '/rpc/login': [400, 422, 429],
  '/rpc/confirm_access': [422],
  '/rpc/audit_log': [422],
  '/rpc/enable_mfa': [422],
  '/rpc/update_personal_info': [422],
  '/rpc/add_email': [403, 422],
  '/rpc/change_password': [422],
  '/rpc/create_api_token': [403, 422],
  '/rpc/create_service_token': [422],
  '/rpc/set_allowed_ips': [403, 422],
  '/rpc/admin_grant': [422],
  '/rpc/admin_save_settings': [422],
  '/rpc/add_oplog_entry': [422],
  '/rpc/set_project_config': [422],
};

// The same, by pattern: the not-found page of a project outside the person's grant.
const EXPECTED_PATTERNS: [RegExp, number[]][] = [[/^\/projects\/\d+$/, [404]]];

function expected(pathname: string, status?: number): boolean {
  const statuses = EXPECTED_ERRORS[pathname] ?? EXPECTED_PATTERNS.find(([p]) => p.test(pathname))?.[1];
  return statuses !== undefined && (status === undefined || statuses.includes(status));
}

const SESSION_COOKIE = 'kw_session'; // app/src/ssr.rs

/** Watches one browser context (all its pages): problems go to `problems`; the session
 * cookies it is given and the POSTs it makes are recorded for the server-log check
 * (no-secrets-in-log.ts). */
function watch(context: BrowserContext, problems: string[], pending: Promise<void>[]) {
  context.on('weberror', (e) => problems.push(`uncaught: ${e.error().message}`));
  context.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    // Chromium logs every error answer as "Failed to load resource"; the ones expected are
    // known by their URL (and their status is checked on the response below).
    const url = m.location().url;
    if (m.text().startsWith('Failed to load resource') && url && expected(new URL(url).pathname)) return;
    problems.push(`${m.type()}: ${m.text()} (${url})`);
  });
  context.on('response', (r) => {
    const { pathname } = new URL(r.url());
    const method = r.request().method();
    if (r.status() >= 400 && !expected(pathname, r.status())) {
      problems.push(`${r.status()} for ${method} ${r.url()}`);
    }
    if (method === 'POST') record({ kind: 'request', method, path: pathname, status: r.status() });
    pending.push(r.headersArray().then((headers) => {
      for (const { name, value } of headers) {
        const cookie = name.toLowerCase() === 'set-cookie' && value.match(`^${SESSION_COOKIE}=([^;]+)`);
        if (cookie) record({ kind: 'cookie', value: cookie[1] });
      }
    }, () => { /* its context closed first */ }));
  });
  context.on('requestfailed', (req) => {
    // A navigation cancels the loads still in flight (net::ERR_ABORTED): not a failure.
    const error = req.failure()?.errorText;
    if (error !== 'net::ERR_ABORTED') problems.push(`${error} for ${req.method()} ${req.url()}`);
  });
}

// Every test fails if a page in any of its browser contexts logs an error or warning (a panic
// in the WASM, a hydration mismatch), throws, or gets an error answer that is not expected.
export const test = base.extend<{ browserConsole: string[] }>({
  browserConsole: [async ({ context, browser }, use) => {
    const problems: string[] = [];
    const pending: Promise<void>[] = [];
    watch(context, problems, pending);
    // The contexts a test opens itself (a second user's browser) are watched too.
    const newContext = browser.newContext;
    browser.newContext = async (...args) => {
      const opened = await newContext.apply(browser, args);
      watch(opened, problems, pending);
      return opened;
    };
    try {
      await use(problems);
    } finally {
      browser.newContext = newContext;
    }
    await Promise.all(pending);
    expect(problems, 'the browser console and network').toEqual([]);
  }, { auto: true }],
});

export { expect };
