import { CryptoError } from '../../core/errors.js';

/**
 * Strict decoding of the binary-to-text codings field-level values use. Node's
 * decoders skip characters they do not know and stop at the first bad hex
 * digit, so a corrupted value would silently decode to other bytes; these
 * check the alphabet first and fail with the scheme's MALFORMED code.
 */

/** How field-level ciphertexts, keys and IVs are written (`dataEncoding`). */
export type DataEncoding = 'hex' | 'base64';

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A field-level value: hex in either case, or standard base64 with or without padding. */
export function decodeData(text: unknown, encoding: DataEncoding, field: string): Buffer {
  const ok =
    typeof text === 'string' &&
    (encoding === 'hex' ? HEX.test(text) : BASE64.test(text) && text.length % 4 !== 1);
  if (!ok) throw new CryptoError('FLE_MALFORMED', `${field} is not ${encoding}`);
  return Buffer.from(text, encoding);
}
