import * as fs from 'fs';
import { SERVER_LOG } from './env';

// After the run: the server log must not contain any token value.
export default function globalTeardown() {
  const log = fs.readFileSync(SERVER_LOG, 'utf8');
  const leaked = log.match(/kw(at|st)_[0-9A-Za-z]{36}/g);
  if (leaked) {
    throw new Error(`the server log contains ${leaked.length} token value(s)`);
  }
}
