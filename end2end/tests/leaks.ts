import * as fs from 'fs';
import * as path from 'path';
import { TMP } from './env';

/** What the tests saw, for the check of the server log after the run (no-secrets-in-log.ts):
 * secret values that must not be in the log (session cookies, TOTP secrets) and requests
 * that must be (with the credential the log should name). One JSON object a line, appended
 * by whichever process saw it; serve.sh empties end2end/.tmp before each run. */
export const SEEN = path.join(TMP, 'seen.jsonl');

export type Secret = { kind: 'cookie' | 'totp' | 'password'; value: string };
export type SeenRequest = { kind: 'request'; method: string; path: string; status: number; credential?: string };
export type Seen = Secret | SeenRequest;

export function record(seen: Seen) {
  fs.appendFileSync(SEEN, `${JSON.stringify(seen)}\n`);
}

export function readSeen(): Seen[] {
  if (!fs.existsSync(SEEN)) return [];
  return fs.readFileSync(SEEN, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

/** Credentials in `text`: keyward tokens (the whole value, not the 12-character display
 * prefix) and JWTs by their shape, and each of the `known` values. Each is named by its kind
 * and first characters only, so the report is no leak itself. */
export function findLeaks(text: string, known: Secret[]): string[] {
  const shapes: [string, RegExp][] = [
    ['token', /kw(at|st)_[0-9A-Za-z]{36}/g],
    ['JWT', /eyJ[\w-]+\.[\w-]+\.[\w-]*/g],
  ];
  const found = shapes.flatMap(([kind, shape]) => [...text.matchAll(shape)].map((m) => `${kind} ${m[0].slice(0, 8)}…`));
  // A value seen twice (a TOTP secret used for two codes) is reported once.
  for (const [value, kind] of new Map(known.map((k) => [k.value, k.kind]))) {
    if (text.includes(value)) found.push(`${kind} ${value.slice(0, 4)}…`);
  }
  return found;
}
