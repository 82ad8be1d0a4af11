import type { KeyObject } from 'node:crypto';
import { gcmOpen, gcmSeal } from './aes-gcm.js';

/**
 * A key-encryption key as the vault uses it: AES-256-GCM over a data key,
 * with associated data, whether the key is a file's bytes or an object in an
 * HSM. `seal` returns IV | ciphertext | tag; `open` takes them apart and
 * throws when they do not authenticate (an HSM that is gone throws
 * HsmError HSM_UNAVAILABLE instead).
 */
export interface WrappingKey {
  seal(iv: Buffer, aad: Buffer, plaintext: Buffer): Buffer;
  open(aad: Buffer, iv: Buffer, tag: Buffer, ciphertext: Buffer): Buffer;
}

/** A KEK held in process memory (the development default, and keyring files). */
export function fileWrappingKey(key: KeyObject): WrappingKey {
  return {
    seal: (iv, aad, plaintext) => gcmSeal(key, iv, aad, plaintext),
    open: (aad, iv, tag, ciphertext) => gcmOpen(key, aad, iv, tag, ciphertext),
  };
}
