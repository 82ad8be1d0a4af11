import type { KeyObject, X509Certificate } from 'node:crypto';
import { decryptFieldLevel } from '../../mastercard/encryption/field-level.js';
import { certificateFingerprint, publicKeyFingerprint } from '../../mastercard/keys/fingerprint.js';
import type { EncryptedPayload } from '../../mastercard/token-connect/types.js';
import { TokenConnectFailure } from './failure.js';
import type { PayloadDecrypter } from './push.js';

export interface DecryptionKey {
  privateKey: KeyObject;
  /** When the issuer encrypts to a certificate, its fingerprint may name the key too. */
  certificate?: X509Certificate;
}

/**
 * Opens Token Connect's field-level payloads with MDES's private key(s),
 * chosen by `publicKeyFingerprint` (of the public key or its certificate).
 * Every failure, an unknown fingerprint included, is the one
 * CRYPTOGRAPHY_ERROR: telling a bad wrapped key from bad padding would hand
 * the sender a padding oracle on the unauthenticated CBC scheme.
 */
export class FieldLevelDecrypter implements PayloadDecrypter {
  readonly #keys = new Map<string, KeyObject>();

  constructor(keys: readonly DecryptionKey[]) {
    for (const { privateKey, certificate } of keys) {
      this.#keys.set(publicKeyFingerprint(privateKey), privateKey);
      if (certificate) this.#keys.set(certificateFingerprint(certificate), privateKey);
    }
  }

  decrypt(payload: EncryptedPayload): string {
    const key = this.#keys.get(payload.publicKeyFingerprint.toLowerCase());
    if (!key) throw new TokenConnectFailure('CRYPTOGRAPHY_ERROR');
    // Hex is what pushprov and Mastercard's libraries write by default; base64 is their other choice.
    const hex = [payload.encryptedData, payload.encryptedKey, payload.iv ?? ''].every((v) =>
      /^[0-9a-f]*$/i.test(v),
    );
    try {
      return decryptFieldLevel(
        {
          encryptedValue: payload.encryptedData,
          encryptedKey: payload.encryptedKey,
          iv: payload.iv,
          oaepHashingAlgorithm: payload.oaepHashingAlgorithm,
          publicKeyFingerprint: payload.publicKeyFingerprint,
        },
        key,
        // Absent fields read as MDES's specs define them: PKCS #1 v1.5, an IV of zero.
        { encoding: hex ? 'hex' : 'base64', oaepHashingAlgorithm: 'SHA256', specDefaults: true },
      );
    } catch (error) {
      throw new TokenConnectFailure('CRYPTOGRAPHY_ERROR', undefined, { cause: error });
    }
  }
}
