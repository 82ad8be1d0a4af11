import { type DecryptionKey, EnvelopeDecrypter } from '../../mastercard/encryption/envelope-decrypter.js';
import type { EncryptedPayload } from '../../mastercard/token-connect/types.js';
import { TokenConnectFailure } from './failure.js';
import type { PayloadDecrypter } from './push.js';

/**
 * Opens Token Connect's field-level payloads with MDES's private key(s),
 * chosen by `publicKeyFingerprint` (of the public key or its certificate).
 * Every failure, an unknown fingerprint included, is the one
 * CRYPTOGRAPHY_ERROR: telling a bad wrapped key from bad padding would hand
 * the sender a padding oracle on the unauthenticated CBC scheme.
 */
export class FieldLevelDecrypter implements PayloadDecrypter {
  // Hex is what pushprov and Mastercard's libraries write by default; base64 is their other choice.
  readonly #envelopes: EnvelopeDecrypter;

  constructor(keys: readonly DecryptionKey[]) {
    this.#envelopes = new EnvelopeDecrypter(keys, { encodings: ['hex', 'base64'] });
  }

  decrypt(payload: EncryptedPayload): string {
    try {
      return this.#envelopes.decrypt(payload);
    } catch (error) {
      throw new TokenConnectFailure('CRYPTOGRAPHY_ERROR', undefined, { cause: error });
    }
  }
}
