import { createHmac } from 'crypto';
import { record } from './leaks';

/** RFC 4648 base32 (no padding), as authenticator apps take secrets. */
function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The 6-digit RFC 6238 code (HMAC-SHA1, 30 s steps) an app shows `offsetSeconds` from now:
 * computed here, independently of the server's implementation. */
export function totp(secret: string, offsetSeconds = 0): string {
  // Every secret a test computes codes from is one the server log must not contain.
  record({ kind: 'totp', value: secret });
  const counter = Math.floor((Date.now() / 1000 + offsetSeconds) / 30);
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const hash = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const offset = hash[19] & 0x0f;
  const code = (hash.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return code.toString().padStart(6, '0');
}
