import * as fs from 'fs';
import { NEW_PASSWORD, PASSWORD, SERVER_LOG } from './env';
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
