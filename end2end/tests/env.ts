import * as path from 'path';

// One fresh server per run: its port, database and log (see serve.sh).
export const PORT = Number(process.env.E2E_PORT ?? 3107);
export const BASE_URL = `http://127.0.0.1:${PORT}`;
export const ROOT = path.resolve(__dirname, '..', '..');
export const TMP = path.join(ROOT, 'end2end', '.tmp');
export const DATABASE_URL = `sqlite://${path.join(TMP, 'e2e.db')}`;
export const SERVER_LOG = path.join(TMP, 'server.log');
export const KEYWARD = path.join(ROOT, 'target', 'release', 'keyward');
export const PASSWORD = 'correct horse battery';
