import { createHash, createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { CryptoError } from '../../core/errors.js';
import { isDecryptionKey, type RsaDecryptionKey } from '../../core/keys/decryption-key.js';
import { certificateFingerprint, publicKeyFingerprint } from '../keys/fingerprint.js';
import type { DataEncoding } from './encoding.js';
import { decryptFieldLevel } from './field-level.js';

/**
 * Opens MDES's `encryptedPayload` envelope (Token Connect, Digital
 * Enablement, the Pre-Digitization web services): the field-level ciphertext
 * in `encryptedData`, its session key wrapped in `encryptedKey` for the key
 * `publicKeyFingerprint` names (the SHA-256 of the public key or of its
 * certificate), and `iv` and `oaepHashingAlgorithm`, whose absence MDES's
 * specs define: an IV of zero, and RSA PKCS #1 v1.5 instead of OAEP.
 *
 * The scheme carries no integrity check, so whoever answers the sender must
 * answer every failure alike (see field-level.ts): the codes thrown here are
 * for logs, never for the party that sent the envelope.
 */

export interface DecryptionKey {
  /** A file's key, or one in an HSM. */
  privateKey: KeyObject | RsaDecryptionKey;
  /** When senders encrypt to a certificate, its fingerprint names the key too. */
  certificate?: X509Certificate;
}

/** The envelope's members, as they arrived (each is checked when used). */
export interface EncryptedEnvelope {
  encryptedData: string;
  encryptedKey: string;
  publicKeyFingerprint: string;
  iv?: string | undefined;
  oaepHashingAlgorithm?: string | undefined;
}

export interface EnvelopeDecrypterOptions {
  /**
   * How ciphertext, key and IV may be written: hex (the MDES specs' "Hex-encoded
   * Data"), and base64 where a reader also takes what Mastercard's libraries
   * can be configured to write. With both, hex is read when every member is hex.
   */
  encodings: readonly DataEncoding[];
  /**
   * Also find a key by the SHA-1 (40 hex digits) of its public key or of its
   * certificate, besides the SHA-256 Mastercard's libraries compute: the
   * Pre-Digitization spec's example fingerprint has a SHA-1's length and the
   * spec does not say what it hashes.
   */
  sha1Fingerprints?: boolean;
}

export class EnvelopeDecrypter {
  readonly #keys = new Map<string, KeyObject | RsaDecryptionKey>();
  readonly #encodings: readonly DataEncoding[];

  constructor(keys: readonly DecryptionKey[], options: EnvelopeDecrypterOptions = { encodings: ['hex'] }) {
    for (const { privateKey, certificate } of keys) {
      const publicKey = isDecryptionKey(privateKey) ? privateKey.publicKey : createPublicKey(privateKey);
      this.#keys.set(publicKeyFingerprint(publicKey), privateKey);
      if (certificate) this.#keys.set(certificateFingerprint(certificate), privateKey);
      if (options.sha1Fingerprints) {
        const spki = publicKey.export({ type: 'spki', format: 'der' });
        this.#keys.set(sha1Hex(spki), privateKey);
        if (certificate) this.#keys.set(sha1Hex(certificate.raw), privateKey);
      }
    }
    this.#encodings = options.encodings;
  }

  /** The UTF-8 plaintext; CryptoError FLE_KEY_UNKNOWN for a fingerprint of no key held, else field-level's codes. */
  decrypt(envelope: EncryptedEnvelope): string {
    const fingerprint = envelope.publicKeyFingerprint;
    const key = typeof fingerprint === 'string' ? this.#keys.get(fingerprint.toLowerCase()) : undefined;
    if (!key) throw new CryptoError('FLE_KEY_UNKNOWN', 'publicKeyFingerprint names no key held here');
    return decryptFieldLevel(
      {
        encryptedValue: envelope.encryptedData,
        encryptedKey: envelope.encryptedKey,
        iv: envelope.iv,
        oaepHashingAlgorithm: envelope.oaepHashingAlgorithm,
        publicKeyFingerprint: fingerprint,
      },
      key,
      // The digest is only a fallback: with spec defaults, no oaepHashingAlgorithm means PKCS #1 v1.5.
      { encoding: this.#encodingOf(envelope), oaepHashingAlgorithm: 'SHA256', specDefaults: true },
    );
  }

  #encodingOf(envelope: EncryptedEnvelope): DataEncoding {
    const [first = 'hex'] = this.#encodings;
    if (this.#encodings.length === 1) return first;
    const hex = [envelope.encryptedData, envelope.encryptedKey, envelope.iv ?? ''].every(
      (v) => typeof v === 'string' && /^[0-9a-f]*$/i.test(v),
    );
    return hex ? 'hex' : 'base64';
  }
}

const sha1Hex = (bytes: Buffer): string => createHash('sha1').update(bytes).digest('hex');
