import { createPublicKey, type KeyObject } from 'node:crypto';
import type { RsaDecryptionKey, RsaPadding } from '../keys/decryption-key.js';
import type { SigningKey } from '../keys/signing-key.js';
import type { WrappingKey } from '../keys/wrapping-key.js';
import { pkcs11Driver } from './driver.js';
import { HsmError } from './errors.js';
import { decodeOaep, decodePkcs1 } from './rsa-padding.js';
import { type KeyLocation, TokenKey } from './token.js';

/**
 * The key ports backed by objects in a PKCS#11 token. Each constructor
 * connects and checks the key's type, so a wrong key stops the start.
 */

type Location = Omit<KeyLocation, 'keyClass'>;

/** An RSA private key in the HSM; signs with CKM_SHA256_RSA_PKCS. */
export function hsmSigningKey(location: Location): SigningKey & { close(): void } {
  const { token, publicKey, size } = rsaKey(location);
  const { CKM_SHA256_RSA_PKCS } = pkcs11Driver();
  return {
    publicKey,
    signSha256: (data) =>
      token.run((lib, session, key) => {
        lib.C_SignInit(session, { mechanism: CKM_SHA256_RSA_PKCS }, key);
        return lib.C_Sign(session, data, Buffer.alloc(size));
      }),
    close: () => token.close(),
  };
}

/**
 * An RSA private key in the HSM that unwraps payload session keys: the
 * private-key operation (CKM_RSA_X_509) runs in the HSM, the padding is
 * removed here (rsa-padding.ts says why).
 */
export function hsmDecryptionKey(location: Location): RsaDecryptionKey & { close(): void } {
  const { token, publicKey, size } = rsaKey(location);
  const { CKM_RSA_X_509 } = pkcs11Driver();
  return {
    publicKey,
    decrypt: (encrypted: Buffer, padding: RsaPadding) => {
      const em = token.run((lib, session, key) => {
        lib.C_DecryptInit(session, { mechanism: CKM_RSA_X_509 }, key);
        return lib.C_Decrypt(session, encrypted, Buffer.alloc(size));
      });
      // Raw RSA drops leading zero bytes on some tokens; the encoding needs them.
      const full = Buffer.concat([Buffer.alloc(size - em.length), em]);
      try {
        return padding === 'pkcs1' ? decodePkcs1(full) : decodeOaep(full, padding.oaep);
      } finally {
        full.fill(0);
        em.fill(0);
      }
    },
    close: () => token.close(),
  };
}

/** A 256-bit AES key in the HSM that wraps and unwraps data keys with CKM_AES_GCM. */
export function hsmWrappingKey(location: Location): WrappingKey & { close(): void } {
  const token = new TokenKey({ ...location, keyClass: 'secret' });
  const driver = pkcs11Driver();
  const [keyType, length] = token.attributes([driver.CKA_KEY_TYPE, driver.CKA_VALUE_LEN]);
  if (ulong(keyType) !== driver.CKK_AES || ulong(length) !== 32) {
    token.close();
    throw new HsmError('HSM_KEY_UNSUITABLE', `${token.name} is not a 256-bit AES key`);
  }
  const gcm = (iv: Buffer, aad: Buffer) => ({
    mechanism: driver.CKM_AES_GCM,
    parameter: { type: driver.CK_PARAMS_GCM, iv, ivBits: iv.length * 8, aad, tagBits: 128 },
  });
  return {
    seal: (iv, aad, plaintext) =>
      token.run((lib, session, key) => {
        lib.C_EncryptInit(session, gcm(iv, aad), key);
        return Buffer.concat([iv, lib.C_Encrypt(session, plaintext, Buffer.alloc(plaintext.length + 16))]);
      }),
    open: (aad, iv, tag, ciphertext) =>
      token.run((lib, session, key) => {
        lib.C_DecryptInit(session, gcm(iv, aad), key);
        return lib.C_Decrypt(session, Buffer.concat([ciphertext, tag]), Buffer.alloc(ciphertext.length + 16));
      }),
    close: () => token.close(),
  };
}

function rsaKey(location: Location): { token: TokenKey; publicKey: KeyObject; size: number } {
  const token = new TokenKey({ ...location, keyClass: 'private' });
  const driver = pkcs11Driver();
  const [keyType, modulus, exponent] = token.attributes([
    driver.CKA_KEY_TYPE,
    driver.CKA_MODULUS,
    driver.CKA_PUBLIC_EXPONENT,
  ]);
  if (ulong(keyType) !== driver.CKK_RSA || !modulus?.length || !exponent?.length) {
    token.close();
    throw new HsmError('HSM_KEY_UNSUITABLE', `${token.name} is not an RSA private key with its public half`);
  }
  const publicKey = createPublicKey({
    key: { kty: 'RSA', n: modulus.toString('base64url'), e: exponent.toString('base64url') },
    format: 'jwk',
  });
  return { token, publicKey, size: modulus.length };
}

/** A CK_ULONG attribute value (native byte order, as the module returns it). */
const ulong = (value: Buffer | undefined): number =>
  value === undefined || value.length === 0
    ? -1
    : Number(value.length >= 8 ? value.readBigUInt64LE() : value.readUInt32LE());
