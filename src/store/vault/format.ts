import { CryptoError } from '../../core/errors.js';

/**
 * The sealed-value layout, version 1. Self-describing so that any holder of
 * the keyring can open it, and so that rotation can re-wrap the data key
 * without knowing the value's context:
 *
 *   magic "PPV" | version 1 | KEK id length | KEK id (ASCII)
 *   | wrap IV (12) | wrapped DEK (32) | wrap tag (16)
 *   | context digest (8) | IV (12) | ciphertext | tag (16)
 *
 * The wrapped DEK binds the header up to the KEK id as associated data; the
 * ciphertext binds the version and the caller's context, not the KEK, so
 * re-wrapping leaves it untouched. The context digest (a truncated SHA-256 of
 * the context, which names a row and a column, never a secret) only lets a
 * value opened under the wrong context fail with its own code.
 */
const MAGIC = Buffer.from('PPV', 'ascii');
const VERSION = 1;
/** The bytes every version-1 blob starts with; rotation matches on them in SQL. */
export const PREFIX = Buffer.concat([MAGIC, Buffer.of(VERSION)]);

export const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;
export const DIGEST_BYTES = 8;
export const MAX_KEK_ID_BYTES = 64;

const WRAPPED_BYTES = IV_BYTES + KEY_BYTES + TAG_BYTES;
const FIXED_TAIL = WRAPPED_BYTES + DIGEST_BYTES + IV_BYTES + TAG_BYTES;

export interface SealedParts {
  kekId: string;
  /** Magic, version and KEK id: the associated data of the wrapped DEK. */
  header: Buffer;
  wrapIv: Buffer;
  wrappedDek: Buffer;
  wrapTag: Buffer;
  /** Context digest, IV, ciphertext and tag: what re-wrapping carries over unchanged. */
  body: Buffer;
  contextDigest: Buffer;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

const malformed = (why: string): CryptoError =>
  new CryptoError('VAULT_BLOB_MALFORMED', `sealed value is not readable: ${why}`, { status: 500 });

export function headerOf(kekId: string): Buffer {
  const id = Buffer.from(kekId, 'ascii');
  return Buffer.concat([PREFIX, Buffer.of(id.length), id]);
}

export function parseSealed(sealed: Uint8Array): SealedParts {
  const blob = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (blob.length < PREFIX.length + 1 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw malformed('not a vault value');
  }
  if (blob[MAGIC.length] !== VERSION) throw malformed(`unsupported format version ${blob[MAGIC.length]}`);
  const idLength = blob[PREFIX.length] ?? 0;
  const headerEnd = PREFIX.length + 1 + idLength;
  if (idLength === 0 || blob.length < headerEnd + FIXED_TAIL) throw malformed('truncated');
  let offset = headerEnd;
  const take = (length: number) => {
    const part = blob.subarray(offset, offset + length);
    offset += length;
    return part;
  };
  const wrapIv = take(IV_BYTES);
  const wrappedDek = take(KEY_BYTES);
  const wrapTag = take(TAG_BYTES);
  const bodyStart = offset;
  const contextDigest = take(DIGEST_BYTES);
  const iv = take(IV_BYTES);
  return {
    kekId: blob.toString('ascii', PREFIX.length + 1, headerEnd),
    header: blob.subarray(0, headerEnd),
    wrapIv,
    wrappedDek,
    wrapTag,
    body: blob.subarray(bodyStart),
    contextDigest,
    iv,
    ciphertext: blob.subarray(offset, blob.length - TAG_BYTES),
    tag: blob.subarray(blob.length - TAG_BYTES),
  };
}
