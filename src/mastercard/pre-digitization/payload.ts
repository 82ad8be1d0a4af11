import type { Static, TSchema } from '@sinclair/typebox';
import { type Clock, systemClock } from '../../core/clock.js';
import { PushprovError } from '../../core/errors.js';
import { holdsNul } from '../../core/nul.js';
import { type DecryptionKey, EnvelopeDecrypter } from '../encryption/envelope-decrypter.js';
import { firstInvalidField } from '../field-errors.js';
import type { FieldLevelPayloadEncrypter } from '../token-connect/encrypter.js';
import { fieldRefusal, PreDigitizationError } from './errors.js';
import {
  type AuthorizeServiceResponseData,
  AuthorizeServiceResponseDataSchema,
  type EncryptedPayload,
} from './schemas.js';

/**
 * The `encryptedPayload` of the Pre-Digitization web services, both ways
 * (docs/mastercard/pre-digitization.md §4). MDES encrypts what it sends to
 * the issuer's public key; the issuer encrypts what it answers to
 * Mastercard's ("the digital envelope is created with receiver's
 * Encryption Public Key"). The scheme is Mastercard's field-level one
 * (src/mastercard/encryption), hex-encoded.
 */

export interface PreDigitizationPayloadsOptions {
  /**
   * The issuer's encryption key(s) whose certificate is registered with
   * Mastercard Developers; several while a renewed key replaces an old one.
   * Found by `publicKeyFingerprint` (SHA-256 or SHA-1 of the public key or of
   * the certificate).
   */
  decryptionKeys: readonly DecryptionKey[];
  /** Encrypts answers to Mastercard's encryption key (the one Token Connect uses). */
  encrypter?: FieldLevelPayloadEncrypter;
  clock?: Clock;
}

/** "Must be a value no more than 30 days in the future." */
const MAX_VALIDITY_MS = 30 * 86_400_000;

export class PreDigitizationPayloads {
  readonly #envelopes: EnvelopeDecrypter;
  readonly #encrypter: FieldLevelPayloadEncrypter | undefined;
  readonly #clock: Clock;

  constructor(options: PreDigitizationPayloadsOptions) {
    this.#envelopes = new EnvelopeDecrypter(options.decryptionKeys, {
      encodings: ['hex'],
      sha1Fingerprints: true,
    });
    this.#encrypter = options.encrypter;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Decrypts an envelope whose members are already checked (schemas.ts
   * EncryptedPayloadSchema), then checks the plaintext against `schema` and
   * its validity time. `at` is the envelope's JSON pointer in the request,
   * so a refused field is named where it sits (`…/encryptedData/cardAccountData/accountNumber`).
   *
   * Every failure to decrypt or to parse the plaintext is the one
   * CRYPTOGRAPHY_ERROR, whatever went wrong (the cause is kept for logs):
   * the scheme is unauthenticated CBC and distinct answers would be a padding oracle.
   */
  open<T extends TSchema>(envelope: EncryptedPayload, schema: T, at: string): Static<T> {
    let plaintext: unknown;
    try {
      plaintext = JSON.parse(this.#envelopes.decrypt(envelope));
    } catch (cause) {
      // The issuer's HSM being away is not MDES's doing: a 503 MDES retries, not a refusal.
      if (cause instanceof PushprovError && cause.code === 'HSM_UNAVAILABLE') throw cause;
      throw new PreDigitizationError('CRYPTOGRAPHY_ERROR', undefined, { cause });
    }
    // PostgreSQL text cannot hold U+0000; nor can a card number or a name.
    if (holdsNul(plaintext)) throw new PreDigitizationError('CRYPTOGRAPHY_ERROR');
    const below = `${at}/encryptedData`;
    const invalid = firstInvalidField(schema, plaintext);
    if (invalid) throw fieldRefusal(invalid, below);
    this.#checkValidity(plaintext as { dataValidUntilTimestamp?: unknown }, below);
    return plaintext as Static<T>;
  }

  /**
   * Encrypts the data of an AuthorizeService answer to Mastercard's key,
   * after checking it against the spec (a failure is pushprov's own bug).
   */
  seal(data: AuthorizeServiceResponseData): EncryptedPayload {
    if (!this.#encrypter) {
      throw new PushprovError('PRE_DIGITIZATION_NO_ENCRYPTION_KEY', "no key to encrypt to Mastercard's");
    }
    const invalid = firstInvalidField(AuthorizeServiceResponseDataSchema, data);
    if (invalid) {
      throw new PushprovError(
        'PRE_DIGITIZATION_ANSWER_INVALID',
        `the answer's encrypted data does not follow the spec: ${invalid.code} ${invalid.path}`,
      );
    }
    const sealed = this.#encrypter.encrypt(JSON.stringify(data));
    return {
      encryptedData: sealed.encryptedData,
      publicKeyFingerprint: sealed.publicKeyFingerprint,
      encryptedKey: sealed.encryptedKey,
      ...(sealed.oaepHashingAlgorithm && { oaepHashingAlgorithm: sealed.oaepHashingAlgorithm }),
      ...(sealed.iv && { iv: sealed.iv }),
    };
  }

  // "If present, all systems must reject this encrypted object after this time and treat it as invalid data."
  #checkValidity(
    { dataValidUntilTimestamp: until }: { dataValidUntilTimestamp?: unknown },
    below: string,
  ): void {
    if (typeof until !== 'string') return;
    const now = this.#clock.now().getTime();
    const ms = Date.parse(until);
    if (Number.isNaN(ms) || ms <= now || ms > now + MAX_VALIDITY_MS) {
      throw new PreDigitizationError('INVALID_FIELD_VALUE', {
        field: 'dataValidUntilTimestamp',
        path: `${below}/dataValidUntilTimestamp`,
      });
    }
  }
}
