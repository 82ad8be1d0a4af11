import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { CryptoError } from '../errors.js';

/** AES-256-GCM with a 16-byte tag; the result is IV | ciphertext | tag. */
export function gcmSeal(key: KeyObject | Buffer, iv: Buffer, aad: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, ciphertext, cipher.getAuthTag()]);
}

/** Opens what gcmSeal made, given apart; CryptoError AES_GCM_AUTH_FAILED when it does not authenticate. */
export function gcmOpen(
  key: KeyObject | Buffer,
  aad: Buffer,
  iv: Buffer,
  tag: Buffer,
  ciphertext: Buffer,
): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (error) {
    throw new CryptoError('AES_GCM_AUTH_FAILED', 'the value failed authentication', { cause: error });
  }
}
