import { createHash } from 'node:crypto';
import { CryptoError } from '../errors.js';

/**
 * Decoding of an RSA decryption's encoded message (RFC 8017 §7.1.2 and
 * §7.2.2), for keys in an HSM: the HSM does the private-key operation
 * (CKM_RSA_X_509) and this removes the padding. Why not CKM_RSA_PKCS_OAEP:
 * SoftHSM2, and several HSMs, take it with SHA-1 only, and MDES wraps with
 * SHA-256 or SHA-512. Every check runs whatever the earlier ones found and
 * every failure is the one error, so neither the time taken nor the error
 * says which check failed; callers answer all failures alike anyway.
 */
export function decodeOaep(em: Buffer, hash: 'sha256' | 'sha512'): Buffer {
  const hLen = hash === 'sha256' ? 32 : 64;
  const k = em.length;
  if (k < 2 * hLen + 2) throw failed();
  const lHash = createHash(hash).digest();
  const maskedSeed = em.subarray(1, 1 + hLen);
  const maskedDb = em.subarray(1 + hLen);
  const seed = xor(maskedSeed, mgf1(maskedDb, hLen, hash));
  const db = xor(maskedDb, mgf1(seed, k - hLen - 1, hash));
  let bad = em[0]! | diff(db.subarray(0, hLen), lHash);
  // The first 0x01 after the zero padding; `found` stays 0 until it is seen.
  let found = 0;
  let index = 0;
  for (let i = hLen; i < db.length; i++) {
    const byte = db[i]!;
    const isOne = Number(byte === 1);
    const isZero = Number(byte === 0);
    index = found ? index : isOne ? i : index;
    bad |= found ? 0 : isOne || isZero ? 0 : 1;
    found |= isOne;
  }
  if (bad !== 0 || found === 0) throw failed();
  return Buffer.from(db.subarray(index + 1));
}

/** EM = 0x00 0x02 PS (at least 8 non-zero bytes) 0x00 M. */
export function decodePkcs1(em: Buffer): Buffer {
  let bad = em[0]! | (em[1]! ^ 2);
  let separator = 0;
  for (let i = 2; i < em.length; i++) {
    separator = separator === 0 && em[i] === 0 ? i : separator;
  }
  bad |= separator < 10 ? 1 : 0;
  if (bad !== 0) throw failed();
  return Buffer.from(em.subarray(separator + 1));
}

function mgf1(seed: Buffer, length: number, hash: 'sha256' | 'sha512'): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0, made = 0; made < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(seed).update(c).digest();
    blocks.push(block);
    made += block.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

function diff(a: Buffer, b: Buffer): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d;
}

const failed = () =>
  new CryptoError('RSA_DECRYPTION_FAILED', 'the RSA ciphertext does not decrypt with this key');
