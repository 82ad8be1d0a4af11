import {
  type CipherGCMTypes,
  constants,
  createCipheriv,
  createDecipheriv,
  createHmac,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
  timingSafeEqual,
} from 'node:crypto';
import { CryptoError } from '../../core/errors.js';
import { publicKeyFingerprint } from '../keys/fingerprint.js';
import { decodeJwePart } from './encoding.js';
import { randomKeyMaterial } from './random.js';

/**
 * Mastercard's JWE payload encryption: compact serialization, the content
 * key wrapped with RSA-OAEP-256, the content encrypted with A256GCM, as
 * mastercard-client-encryption's JweCrypto writes it. Decryption also takes
 * A128GCM, A192GCM and A128CBC-HS256, as its decryptData does.
 *
 * Differences from that library, all on the safe side of interoperability:
 * - the IV is the 96 bits RFC 7518 requires (the library writes 128; both
 *   decrypt either), and parts are true base64url (the library leaves `/`
 *   in; both are read);
 * - A128CBC-HS256's authentication tag is verified (the Node and Java
 *   libraries skip it) and GCM tags must be full length (the Node library
 *   takes any length);
 * - `kid` is not checked: it only names the key the sender meant, anyone can
 *   write any `kid`, and only the unwrap proves the key. When the unwrap
 *   fails, the error carries the `kid` and this key's fingerprint so an
 *   operator can see a key mix-up.
 *
 * Key-unwrap and content failures keep distinct codes for diagnosis; an API
 * edge must not echo them to the party that sent the JWE (RFC 7516 §11.5).
 */

const OAEP_SHA256 = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const;
const TAG_BYTES = 16;
const IV_BYTES = 12;

const GCM = { A128GCM: 'aes-128-gcm', A192GCM: 'aes-192-gcm', A256GCM: 'aes-256-gcm' } as const;
type Enc = keyof typeof GCM | 'A128CBC-HS256';
const CEK_BYTES: Record<Enc, number> = { A128GCM: 16, A192GCM: 24, A256GCM: 32, 'A128CBC-HS256': 32 };
const isEnc = (enc: unknown): enc is Enc => typeof enc === 'string' && Object.hasOwn(CEK_BYTES, enc);

/**
 * Encrypts a UTF-8 text (normally JSON) to `key`, an RSA public key, and
 * returns the compact JWE. `kid` names the key, usually its fingerprint.
 */
export function encryptJwe(plaintext: string, key: KeyObject, kid: string): string {
  // Member order as mastercard-client-encryption writes them.
  const json = JSON.stringify({ kid, cty: 'application/json', alg: 'RSA-OAEP-256', enc: 'A256GCM' });
  const header = Buffer.from(json).toString('base64url');
  const random = randomKeyMaterial(32 + IV_BYTES);
  const cek = random.subarray(0, 32);
  const iv = random.subarray(32);
  const encryptedKey = publicEncrypt({ key, ...OAEP_SHA256 }, cek);
  const cipher = createCipheriv('aes-256-gcm', cek, iv);
  cipher.setAAD(Buffer.from(header, 'latin1'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${header}.${encryptedKey.toString('base64url')}.${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
}

/** Decrypts a compact JWE with an RSA private key and returns the UTF-8 plaintext. */
export function decryptJwe(compact: string, privateKey: KeyObject): string {
  const parts = typeof compact === 'string' ? compact.split('.') : [];
  if (parts.length !== 5) throw new CryptoError('JWE_MALFORMED', 'a compact JWE has five parts');
  const [rawHeader = '', rawKey = '', rawIv = '', rawCiphertext = '', rawTag = ''] = parts;
  const header = parseHeader(rawHeader);
  const encryptedKey = decodeJwePart(rawKey, 'encrypted key');
  const iv = decodeJwePart(rawIv, 'IV');
  const ciphertext = decodeJwePart(rawCiphertext, 'ciphertext');
  const tag = decodeJwePart(rawTag, 'authentication tag');
  const { enc } = header;
  if (enc === 'A128CBC-HS256' ? iv.length !== 16 : iv.length !== 12 && iv.length !== 16) {
    throw new CryptoError('JWE_MALFORMED', `the JWE IV has ${iv.length} bytes, wrong for ${enc}`);
  }
  if (tag.length !== TAG_BYTES) {
    throw new CryptoError('JWE_MALFORMED', `the JWE authentication tag has ${tag.length} bytes, not 16`);
  }

  let cek: Buffer;
  try {
    cek = privateDecrypt({ key: privateKey, ...OAEP_SHA256 }, encryptedKey);
  } catch (cause) {
    throw new CryptoError('JWE_KEY_UNWRAP_FAILED', 'the JWE content key cannot be unwrapped with this key', {
      cause,
      details: { kid: header.kid, keyFingerprint: publicKeyFingerprint(privateKey) },
    });
  }
  if (cek.length !== CEK_BYTES[enc]) {
    throw new CryptoError('JWE_KEY_UNWRAP_FAILED', `the unwrapped JWE content key does not fit ${enc}`);
  }

  const aad = Buffer.from(rawHeader, 'latin1');
  try {
    const plaintext =
      enc === 'A128CBC-HS256'
        ? openCbcHs256(cek, iv, aad, ciphertext, tag)
        : openGcm(GCM[enc], cek, iv, aad, ciphertext, tag);
    return plaintext.toString('utf8');
  } catch (cause) {
    throw new CryptoError('JWE_DECRYPTION_FAILED', 'the JWE content does not decrypt: tampered or corrupt', {
      cause,
    });
  }
}

interface Header {
  enc: Enc;
  kid: string | undefined;
}

function parseHeader(raw: string): Header {
  let header: unknown;
  try {
    header = JSON.parse(decodeJwePart(raw, 'header').toString('utf8'));
  } catch (cause) {
    if (cause instanceof CryptoError) throw cause;
    throw new CryptoError('JWE_MALFORMED', 'the JWE header is not JSON', { cause });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new CryptoError('JWE_MALFORMED', 'the JWE header is not a JSON object');
  }
  const { alg, enc, kid, zip, crit } = header as Record<string, unknown>;
  if (alg !== 'RSA-OAEP-256') {
    throw new CryptoError('JWE_UNSUPPORTED_ALGORITHM', `JWE alg ${String(alg)} is not supported`);
  }
  if (!isEnc(enc))
    throw new CryptoError('JWE_UNSUPPORTED_ALGORITHM', `JWE enc ${String(enc)} is not supported`);
  // Neither is in Mastercard's scheme; honouring `zip` or ignoring `crit` would both be wrong.
  if (zip !== undefined || crit !== undefined) {
    throw new CryptoError('JWE_UNSUPPORTED_ALGORITHM', 'JWE zip and crit headers are not supported');
  }
  return { enc, kid: typeof kid === 'string' ? kid : undefined };
}

function openGcm(
  cipher: CipherGCMTypes,
  cek: Buffer,
  iv: Buffer,
  aad: Buffer,
  ciphertext: Buffer,
  tag: Buffer,
): Buffer {
  const decipher = createDecipheriv(cipher, cek, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

/** RFC 7518 §5.2.2: the first half of the key authenticates, the second encrypts. */
function openCbcHs256(cek: Buffer, iv: Buffer, aad: Buffer, ciphertext: Buffer, tag: Buffer): Buffer {
  const aadBits = Buffer.alloc(8);
  aadBits.writeBigUInt64BE(BigInt(aad.length) * 8n);
  const mac = createHmac('sha256', cek.subarray(0, 16))
    .update(aad)
    .update(iv)
    .update(ciphertext)
    .update(aadBits)
    .digest()
    .subarray(0, TAG_BYTES);
  if (!timingSafeEqual(mac, tag)) throw new Error('A128CBC-HS256 tag mismatch');
  const decipher = createDecipheriv('aes-128-cbc', cek.subarray(16), iv);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}
