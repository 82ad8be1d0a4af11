import { createHash, createHmac, randomBytes } from 'node:crypto';
import { CryptoError, isPushprovError } from '../../core/errors.js';
import { gcmOpen, gcmSeal } from '../../core/keys/aes-gcm.js';
import {
  DIGEST_BYTES,
  headerOf,
  IV_BYTES,
  KEY_BYTES,
  PREFIX,
  parseSealed,
  type SealedParts,
} from './format.js';
import type { Keyring } from './keyring.js';
import type { Sealer } from './sealer.js';

/**
 * The PAN vault: envelope encryption with AES-256-GCM. Each sealed value
 * gets its own random data key (DEK), which is wrapped by the keyring's
 * active key-encryption key (KEK); the blob names the KEK, so any KEK of the
 * keyring opens it and rotation only re-wraps the 32-byte DEK.
 *
 * Failures carry distinct codes: VAULT_BLOB_MALFORMED (not a vault value),
 * VAULT_KEK_UNKNOWN (sealed under a key this keyring lacks),
 * VAULT_CONTEXT_MISMATCH (opened as another row or column),
 * VAULT_TAMPERED (authentication failed).
 */
export class Vault implements Sealer {
  #keyring: Keyring;

  constructor(keyring: Keyring) {
    this.#keyring = keyring;
  }

  get keyring(): Keyring {
    return this.#keyring;
  }

  /**
   * Switches to another keyring (rotation): values sealed from now on use its
   * active KEK. It must still hold every KEK that sealed values reference.
   */
  useKeyring(next: Keyring): void {
    this.#keyring = next;
  }

  seal(plaintext: Uint8Array | string, context: string): Buffer {
    const kek = this.#keyring.active;
    const header = headerOf(kek.id);
    // One call to the CSPRNG for the data key and both IVs: it is the costliest step.
    const random = randomBytes(KEY_BYTES + 2 * IV_BYTES);
    const dek = random.subarray(0, KEY_BYTES);
    try {
      const wrapped = kek.wrapping.seal(random.subarray(KEY_BYTES, KEY_BYTES + IV_BYTES), header, dek);
      const data = gcmSeal(dek, random.subarray(KEY_BYTES + IV_BYTES), dataAad(context), toBytes(plaintext));
      return Buffer.concat([header, wrapped, contextDigest(context), data]);
    } finally {
      dek.fill(0);
    }
  }

  open(sealed: Uint8Array, context: string): Buffer {
    const parts = parseSealed(sealed);
    if (!parts.contextDigest.equals(contextDigest(context))) {
      throw new CryptoError('VAULT_CONTEXT_MISMATCH', 'sealed value belongs to another record or field', {
        status: 500,
      });
    }
    const dek = this.#unwrap(parts);
    try {
      return tamperedIfFails(() => gcmOpen(dek, dataAad(context), parts.iv, parts.tag, parts.ciphertext));
    } finally {
      dek.fill(0);
    }
  }

  /** The id of the KEK a sealed value is wrapped under. */
  kekIdOf(sealed: Uint8Array): string {
    return parseSealed(sealed).kekId;
  }

  /**
   * The same value with its DEK wrapped under the active KEK; the ciphertext
   * is carried over untouched, so this needs no context and sees no plaintext.
   */
  rewrap(sealed: Uint8Array): Buffer {
    const parts = parseSealed(sealed);
    const kek = this.#keyring.active;
    if (parts.kekId === kek.id) return Buffer.from(sealed);
    const dek = this.#unwrap(parts);
    try {
      const header = headerOf(kek.id);
      return Buffer.concat([header, kek.wrapping.seal(randomBytes(IV_BYTES), header, dek), parts.body]);
    } finally {
      dek.fill(0);
    }
  }

  /**
   * A keyed blind index (HMAC-SHA-256 under the keyring's index key) of an
   * already normalised value, so a record can be found by it without the
   * clear value being stored; `purpose` keeps indexes of different fields
   * apart. Without the key, a stored index cannot be tested against guesses.
   */
  blindIndex(purpose: string, normalised: string): Buffer {
    return createHmac('sha256', this.#keyring.indexKey)
      .update(purpose)
      .update(Buffer.of(0))
      .update(normalised, 'utf8')
      .digest();
  }

  #unwrap(parts: SealedParts): Buffer {
    const kek = this.#keyring.get(parts.kekId);
    if (!kek) {
      throw new CryptoError(
        'VAULT_KEK_UNKNOWN',
        `sealed under key ${parts.kekId}, which is not in the keyring`,
        {
          status: 500,
        },
      );
    }
    return tamperedIfFails(() =>
      kek.wrapping.open(parts.header, parts.wrapIv, parts.wrapTag, parts.wrappedDek),
    );
  }
}

/** A value that does not authenticate is VAULT_TAMPERED; an HSM that is gone stays HSM_UNAVAILABLE. */
function tamperedIfFails(open: () => Buffer): Buffer {
  try {
    return open();
  } catch (error) {
    if (isPushprovError(error) && error.code === 'HSM_UNAVAILABLE') throw error;
    throw new CryptoError('VAULT_TAMPERED', 'sealed value failed authentication', {
      status: 500,
      cause: error,
    });
  }
}

const toBytes = (value: Uint8Array | string): Buffer =>
  typeof value === 'string'
    ? Buffer.from(value, 'utf8')
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength);

const dataAad = (context: string): Buffer => Buffer.concat([PREFIX, Buffer.from(context, 'utf8')]);

const contextDigest = (context: string): Buffer =>
  createHash('sha256').update(context, 'utf8').digest().subarray(0, DIGEST_BYTES);
