import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * Opaque, prefixed, random identifiers (`prv_…`, `crd_…`). 20 characters of
 * base36 from 20 random bytes: ~103 bits, far beyond guessing, and never a
 * database sequence or card number in a URL.
 */
export function newId(prefix: string, length = 20): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % 36];
  return `${prefix}_${out}`;
}
