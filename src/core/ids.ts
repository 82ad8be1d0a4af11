import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
/** The largest multiple of 36 a byte can hold: bytes at or above it are drawn again, so every character is equally likely. */
const UNBIASED_LIMIT = 252;

/**
 * Opaque, prefixed, random identifiers (`prv_…`, `crd_…`). 20 characters of
 * base36, each uniform (rejection sampling, no modulo bias): ~103 bits, far
 * beyond guessing, and never a database sequence or card number in a URL.
 */
export function newId(prefix: string, length = 20): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length - out.length + 4)) {
      if (b < UNBIASED_LIMIT && out.length < length) out += ALPHABET[b % 36];
    }
  }
  return `${prefix}_${out}`;
}
