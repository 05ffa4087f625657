import { execFileSync } from 'child_process';
import * as path from 'path';

// The server's port: a free one, chosen once per run, so that a leftover server (or anything
// else) on a fixed port cannot fail the run. This file is evaluated in the runner process
// (through playwright.config.ts) before it starts the server or any worker; the workers inherit
// its environment, so they read the same E2E_PORT instead of choosing again. Set E2E_PORT to
// pick one yourself. (A child process asks the OS for a port because the config is synchronous.)
if (!process.env.E2E_PORT) {
  const freePort = "const s = require('net').createServer().listen(0, '127.0.0.1', " +
    "() => { process.stdout.write(String(s.address().port)); s.close(); });";
  process.env.E2E_PORT = execFileSync(process.execPath, ['-e', freePort]).toString();
}

// One fresh server per run: its port, database and log (see serve.sh).
export const PORT = Number(process.env.E2E_PORT);
export const BASE_URL = `http://127.0.0.1:${PORT}`;
export const ROOT = path.resolve(__dirname, '..', '..');
export const TMP = path.join(ROOT, 'end2end', '.tmp');
export const DATABASE_URL = `sqlite://${path.join(TMP, 'e2e.db')}`;
export const SERVER_LOG = path.join(TMP, 'server.log');
export const KEYWARD = path.join(ROOT, 'target', 'release', 'keyward');
export const PASSWORD = 'correct horse battery';
// The password sessions.spec.ts changes to (the log check searches for it too).
export const NEW_PASSWORD = 'a brand new passphrase';
