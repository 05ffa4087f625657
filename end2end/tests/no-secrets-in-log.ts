import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { DATABASE_URL, KEYWARD, NEW_PASSWORD, PASSWORD, SERVER_LOG } from './env';
import { findLeaks, readSeen, Secret, SeenRequest } from './leaks';

// After the run, the server log (serve.sh captures it) is read both ways: it must have a line
// for each request the tests recorded (the access log, target keyward::access, one line per
// request), so that it is known to hold what a leak would be in; and it must not hold any
// credential the tests used.
export default function globalTeardown() {
  checkTheSearch();
  const log = fs.readFileSync(SERVER_LOG, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
  const lines = log.split('\n').filter((l) => /method=\S+ path=\S+ status=\d{3} latency_ms=\d+ credential=\S+$/.test(l));
  if (lines.length === 0) {
    throw new Error(`${SERVER_LOG} has no request lines: is the access log (keyward::access, info) on?`);
  }

  const seen = readSeen();
  const requests = seen.filter((s): s is SeenRequest => s.kind === 'request');
  // The recording itself must have worked, or the matching below checks nothing: the tests
  // call whoami with API tokens, service tokens and a login JWT.
  const credentials = requests.map((r) => r.credential ?? '');
  if (!credentials.some((c) => /^kw(at|st)_/.test(c)) || !credentials.includes('jwt')) {
    throw new Error(`the tests recorded ${requests.length} requests, without a token and a JWT among them`);
  }
  const missing = requests.filter((r) => !lines.some((l) =>
    l.includes(`method=${r.method} path=${r.path} status=${r.status} `) &&
    (!r.credential || l.endsWith(` credential=${r.credential}`))));
  if (missing.length > 0) {
    throw new Error(`the server log lacks ${missing.length} of the ${requests.length} requests the tests made, ` +
      `e.g. ${JSON.stringify(missing[0])}`);
  }

  const secrets = seen.filter((s): s is Secret => s.kind !== 'request');
  // The fixture records each session cookie the server sets: if browsers sent cookies and
  // none was recorded, the recording is broken and the search below would pass blind.
  if (lines.some((l) => l.endsWith(' credential=cookie')) && !secrets.some((s) => s.kind === 'cookie')) {
    throw new Error('browsers sent session cookies but the fixture recorded none');
  }
  const leaked = findLeaks(log, [...secrets, { kind: 'password', value: PASSWORD }, { kind: 'password', value: NEW_PASSWORD }]);
  if (leaked.length > 0) {
    throw new Error(`the server log contains ${leaked.length} credential(s): ${leaked.join(', ')}`);
  }
  checkTheAuditLog(requests, [...secrets, { kind: 'password', value: PASSWORD }, { kind: 'password', value: NEW_PASSWORD }]);
}

/** The audit log of the whole run against what the browsers did: each change a page made
 * through a server function is one success event by that person (events of `keyward admin`
 * and of bearer credentials, whose actor names the token, are not page changes), and the
 * log holds no credential. */
function checkTheAuditLog(requests: SeenRequest[], secrets: Secret[]) {
  const out = execFileSync(KEYWARD, ['admin', 'audit', '--json', '--limit', '1000000'], {
    env: { ...process.env, KEYWARD_DATABASE_URL: DATABASE_URL },
  }).toString();
  const events = out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const byPage = (action: string, target = '') => events.filter((e) => e.action === action &&
    e.outcome === 'success' && e.actor !== 'keyward admin' && !e.actor.includes('(') &&
    e.target.startsWith(target)).length;
  const succeeded = (paths: string) => requests.filter((r) => r.method === 'POST' &&
    paths.split(' ').includes(r.path) && r.status < 400).length;
  const pairs: [string, string, string?][] = [
    ['/rpc/login', 'sign_in', 'browser session'],
    ['/rpc/create_api_token', 'api_token.minted'],
    ['/rpc/edit_api_token_expiry', 'api_token.redated'],
    ['/rpc/revoke_api_token', 'api_token.revoked'],
    ['/rpc/create_service_token', 'service_token.minted'],
    ['/rpc/revoke_service_token /rpc/revoke_project_service_token', 'service_token.revoked'],
    ['/rpc/enable_mfa', 'mfa.enabled'],
    ['/rpc/change_password', 'password.changed'],
    ['/rpc/confirm_access', 'access.confirmed'],
    ['/rpc/admin_grant', 'grant.changed'],
  ];
  const wrong = pairs
    .map(([path, action, target]) => [path, action, succeeded(path), byPage(action, target)] as const)
    .filter(([, , calls, recorded]) => calls !== recorded);
  if (wrong.length > 0 || succeeded('/rpc/create_api_token') === 0) {
    throw new Error(`the audit log does not match the run: ${wrong.map(([p, a, c, r]) => `${c} × ${p} but ${r} × ${a}`).join('; ')}`);
  }
  const limited = requests.some((r) => r.path === '/rpc/login' && r.status === 429);
  if (limited !== events.some((e) => e.action === 'rate_limited')) {
    throw new Error(`a sign-in was rate limited: ${limited}, but the audit log says otherwise`);
  }
  const leaked = findLeaks(out, secrets);
  if (leaked.length > 0) {
    throw new Error(`the audit log contains ${leaked.length} credential(s): ${leaked.join(', ')}`);
  }
}

/** A positive control: the search finds a token, a JWT and known values planted in a line,
 * and no false alarm in an access-log line that names a token by its display prefix. */
function checkTheSearch() {
  const known: Secret[] = [
    { kind: 'cookie', value: 'c2Vzc2lvbi1jb29raWUtdmFsdWU' },
    { kind: 'totp', value: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' },
  ];
  const planted = `token=kwst_${'a1B2c3'.repeat(6)} Authorization: Bearer ` +
    'eyJhbGciOiJIUzI1NiJ9.eyJzaWQiOiJ4In0.c2lnbmF0dXJl cookie: kw_session=c2Vzc2lvbi1jb29raWUtdmFsdWU ' +
    'secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const found = findLeaks(planted, known).length;
  const clean = 'INFO keyward::access: request method=GET path=/api/v1/whoami status=200 latency_ms=1 credential=kwat_AbCdEfG';
  const falseAlarms = findLeaks(clean, known).length;
  if (found !== 4 || falseAlarms !== 0) {
    throw new Error(`the leak search is broken: it found ${found} of 4 planted credentials, and ${falseAlarms} in a clean line`);
  }
}
