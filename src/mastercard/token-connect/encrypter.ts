import { type KeyObject, X509Certificate } from 'node:crypto';
import { ConfigError } from '../../core/errors.js';
import { encryptFieldLevel, type OaepHashingAlgorithm } from '../encryption/field-level.js';
import { certificateFingerprint, publicKeyFingerprint } from '../keys/fingerprint.js';
import type { PayloadEncrypter } from './client.js';
import type { EncryptedPayload } from './types.js';

export interface FieldLevelPayloadEncrypterOptions {
  /** Mastercard's Token Connect encryption key, or the certificate that holds it. */
  encryptionKey: KeyObject | X509Certificate;
  /** Default SHA512, as Mastercard's own encryption presets for MDES configure it. */
  oaepHashingAlgorithm?: OaepHashingAlgorithm;
  /**
   * What `publicKeyFingerprint` names. Default: the certificate when one is
   * given (Mastercard's MDES presets: `publicKeyFingerprintType: certificate`),
   * else the public key.
   */
  fingerprintOf?: 'publicKey' | 'certificate';
}

/**
 * Token Connect's encrypted envelope (`encryptedPayload`) made with
 * Mastercard's field-level scheme: AES-128-CBC under a one-time key wrapped
 * with RSA-OAEP, hex-encoded, the key named by a SHA-256 fingerprint.
 * `algorithmCipherMode` is left out, as Mastercard's libraries leave it;
 * absent means CBC. The defaults are those of the recorded sandbox request
 * and Mastercard's presets (docs/mastercard/token-connect.md §3).
 */
export class FieldLevelPayloadEncrypter implements PayloadEncrypter {
  readonly #key: KeyObject;
  readonly #fingerprint: string;
  readonly #oaepHashingAlgorithm: OaepHashingAlgorithm;

  constructor(options: FieldLevelPayloadEncrypterOptions) {
    const { encryptionKey } = options;
    const certificate = encryptionKey instanceof X509Certificate ? encryptionKey : undefined;
    const fingerprintOf = options.fingerprintOf ?? (certificate ? 'certificate' : 'publicKey');
    if (fingerprintOf === 'certificate' && !certificate) {
      throw new ConfigError(['a certificate fingerprint needs the encryption certificate, not a bare key']);
    }
    this.#key = certificate?.publicKey ?? (encryptionKey as KeyObject);
    this.#fingerprint =
      fingerprintOf === 'certificate' && certificate
        ? certificateFingerprint(certificate)
        : publicKeyFingerprint(this.#key);
    this.#oaepHashingAlgorithm = options.oaepHashingAlgorithm ?? 'SHA512';
  }

  encrypt(plaintext: string): EncryptedPayload {
    const sealed = encryptFieldLevel(plaintext, this.#key, {
      encoding: 'hex',
      oaepHashingAlgorithm: this.#oaepHashingAlgorithm,
    });
    return {
      encryptedData: sealed.encryptedValue,
      encryptedKey: sealed.encryptedKey,
      iv: sealed.iv,
      oaepHashingAlgorithm: sealed.oaepHashingAlgorithm,
      publicKeyFingerprint: this.#fingerprint,
    };
  }
}
