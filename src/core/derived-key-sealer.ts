import { createCipheriv, createDecipheriv, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { CryptoError } from './errors.js';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for the card data the simulated MDES keeps (pushed accounts
 * behind receipts, funding and token PANs behind tokens). Each value binds
 * its context (the receipt or token reference) as AAD, so a sealed value
 * moved to another row does not open. Layout: version, IV, tag, ciphertext.
 */
export class DerivedKeySealer {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== 32)
      throw new CryptoError('MC_SEALING_KEY_INVALID', 'the sealing key must be 32 bytes');
    this.#key = Buffer.from(key);
  }

  seal(plaintext: string, context: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv).setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), ciphertext]);
  }

  open(sealed: Uint8Array, context: string): string {
    const bytes = Buffer.from(sealed);
    if (bytes.length < 1 + IV_BYTES + TAG_BYTES || bytes[0] !== VERSION) {
      throw new CryptoError('MC_SEALED_INVALID', 'a sealed value has an unknown layout');
    }
    const iv = bytes.subarray(1, 1 + IV_BYTES);
    const tag = bytes.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv)
        .setAAD(Buffer.from(context, 'utf8'))
        .setAuthTag(tag);
      return Buffer.concat([
        decipher.update(bytes.subarray(1 + IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch (error) {
      throw new CryptoError('MC_SEALED_INVALID', 'a sealed value does not open with the sealing key', {
        cause: error,
      });
    }
  }
}

/**
 * The sealing key, derived (HKDF-SHA-256) from the simulator's private
 * encryption key, so it is the same on every start without a file of its
 * own and changes when that key is replaced.
 */
export function deriveSealingKey(
  privateKey: KeyObject,
  purpose: { salt: string; info: string } = { salt: 'pushprov-simulator', info: 'mc card data sealing v1' },
): Buffer {
  const ikm = privateKey.export({ type: 'pkcs8', format: 'der' });
  return Buffer.from(hkdfSync('sha256', ikm, purpose.salt, purpose.info, 32));
}
