import { constants, createCipheriv, createDecipheriv, type KeyObject, publicEncrypt } from 'node:crypto';
import { CryptoError, isPushprovError } from '../../core/errors.js';
import { fileDecryptionKey, isDecryptionKey, type RsaDecryptionKey } from '../../core/keys/decryption-key.js';
import { publicKeyFingerprint } from '../keys/fingerprint.js';
import { type DataEncoding, decodeData } from './encoding.js';
import { randomKeyMaterial } from './random.js';

/**
 * Mastercard's field-level payload encryption, as mastercard-client-encryption's
 * FieldLevelCrypto does it: a one-time AES-128 session key and a 16-byte IV
 * encrypt the UTF-8 text in CBC mode with PKCS#7 padding; the session key is
 * wrapped with RSA-OAEP (SHA-256 or SHA-512 for both the label hash and
 * MGF1); ciphertext, wrapped key and IV are hex or base64. Decryption also
 * takes 192- and 256-bit session keys, which the library's decrypt accepts.
 *
 * The scheme has no integrity check. A changed wrapped key fails the OAEP
 * unwrap, but a changed IV or ciphertext is caught only when it breaks the
 * padding or the UTF-8 of the result, and an attacker who sees whether
 * decryption failed has a padding oracle: never report FLE_DECRYPTION_FAILED
 * back to the party that sent the ciphertext.
 */

/** The OAEP digest as the `oaepHashingAlgorithm` field writes it. */
export type OaepHashingAlgorithm = 'SHA256' | 'SHA512';

export interface FieldLevelOptions {
  encoding: DataEncoding;
  /** The digest to wrap with; on decryption, used when the ciphertext does not name one. */
  oaepHashingAlgorithm: OaepHashingAlgorithm;
  /**
   * Decryption only: read an envelope that leaves fields out as MDES's specs
   * define it (Digital Enablement 1.3.3 `EncryptedPayload`, MDES Issuer
   * Outbound 2.0.21): no `oaepHashingAlgorithm` means the key is wrapped
   * with RSA PKCS #1 v1.5, no `iv` an IV of zero. Mastercard's client
   * libraries instead take their configured digest and need an IV.
   */
  specDefaults?: boolean;
}

export interface FieldLevelCiphertext {
  encryptedValue: string;
  iv: string;
  encryptedKey: string;
  oaepHashingAlgorithm: OaepHashingAlgorithm;
}

/** What arrived on the wire; every member is checked. */
export interface FieldLevelInput {
  encryptedValue: unknown;
  iv: unknown;
  encryptedKey: unknown;
  oaepHashingAlgorithm?: unknown;
  /** Only reported when the unwrap fails: the scheme does not authenticate it. */
  publicKeyFingerprint?: unknown;
}

const SESSION_KEY_BYTES = 16;
const IV_BYTES = 16;
const CBC_BY_KEY_BYTES: Record<number, string | undefined> = {
  16: 'aes-128-cbc',
  24: 'aes-192-cbc',
  32: 'aes-256-cbc',
};
const OAEP_HASH = { SHA256: 'sha256', SHA512: 'sha512' } as const;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `SHA256`, `SHA-256`, `SHA512` or `SHA-512` in any case, as the library reads them. */
export function parseOaepHashingAlgorithm(value: unknown): OaepHashingAlgorithm | undefined {
  if (typeof value !== 'string') return undefined;
  const name = value.toUpperCase().replace('-', '');
  return name === 'SHA256' || name === 'SHA512' ? name : undefined;
}

/** Encrypts a UTF-8 text (normally JSON) to `key`, an RSA public key. */
export function encryptFieldLevel(
  plaintext: string,
  key: KeyObject,
  options: FieldLevelOptions,
): FieldLevelCiphertext {
  const random = randomKeyMaterial(SESSION_KEY_BYTES + IV_BYTES);
  const sessionKey = random.subarray(0, SESSION_KEY_BYTES);
  const iv = random.subarray(SESSION_KEY_BYTES);
  const encryptedKey = publicEncrypt(
    { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASH[options.oaepHashingAlgorithm] },
    sessionKey,
  );
  const cipher = createCipheriv('aes-128-cbc', sessionKey, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    encryptedValue: ciphertext.toString(options.encoding),
    iv: iv.toString(options.encoding),
    encryptedKey: encryptedKey.toString(options.encoding),
    oaepHashingAlgorithm: options.oaepHashingAlgorithm,
  };
}

/**
 * Decrypts with an RSA private key (a file's, or one in an HSM, which
 * unwraps the session key) and returns the UTF-8 plaintext. The session key
 * is used for this one value and wiped.
 */
export function decryptFieldLevel(
  input: FieldLevelInput,
  privateKey: KeyObject | RsaDecryptionKey,
  options: FieldLevelOptions,
): string {
  const key = isDecryptionKey(privateKey) ? privateKey : fileDecryptionKey(privateKey);
  const pkcs1 = input.oaepHashingAlgorithm === undefined && options.specDefaults === true;
  const digest =
    input.oaepHashingAlgorithm === undefined
      ? options.oaepHashingAlgorithm
      : parseOaepHashingAlgorithm(input.oaepHashingAlgorithm);
  if (digest === undefined) {
    throw new CryptoError(
      'FLE_UNSUPPORTED_ALGORITHM',
      `oaepHashingAlgorithm ${String(input.oaepHashingAlgorithm)} is not supported`,
    );
  }
  const iv =
    input.iv === undefined && options.specDefaults === true
      ? Buffer.alloc(IV_BYTES)
      : decodeData(input.iv, options.encoding, 'iv');
  if (iv.length !== IV_BYTES) throw new CryptoError('FLE_MALFORMED', `the IV has ${iv.length} bytes, not 16`);
  const encryptedKey = decodeData(input.encryptedKey, options.encoding, 'encryptedKey');
  const ciphertext = decodeData(input.encryptedValue, options.encoding, 'encryptedValue');
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    throw new CryptoError('FLE_MALFORMED', 'the ciphertext is not a whole number of AES blocks');
  }

  let sessionKey: Buffer;
  try {
    sessionKey = key.decrypt(encryptedKey, pkcs1 ? 'pkcs1' : { oaep: OAEP_HASH[digest] });
  } catch (cause) {
    // An HSM that is gone is not a bad ciphertext: it must not be answered as one.
    if (isPushprovError(cause) && cause.code === 'HSM_UNAVAILABLE') throw cause;
    throw new CryptoError('FLE_KEY_UNWRAP_FAILED', 'the session key cannot be unwrapped with this key', {
      cause,
      details: {
        oaepHashingAlgorithm: pkcs1 ? 'PKCS1_V1_5' : digest,
        publicKeyFingerprint:
          typeof input.publicKeyFingerprint === 'string' ? input.publicKeyFingerprint : undefined,
        keyFingerprint: publicKeyFingerprint(key.publicKey),
      },
    });
  }
  const cipher = CBC_BY_KEY_BYTES[sessionKey.length];
  if (cipher === undefined) {
    throw new CryptoError(
      'FLE_KEY_UNWRAP_FAILED',
      `the unwrapped session key has ${sessionKey.length} bytes`,
    );
  }

  try {
    const decipher = createDecipheriv(cipher, sessionKey, iv);
    return utf8.decode(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
  } catch (cause) {
    throw new CryptoError('FLE_DECRYPTION_FAILED', 'the value does not decrypt: tampered or corrupted', {
      cause,
    });
  } finally {
    sessionKey.fill(0);
  }
}
