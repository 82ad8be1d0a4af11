import { constants, createPublicKey, type KeyObject, privateDecrypt } from 'node:crypto';
import forge from 'node-forge';

/** How a payload's session key was wrapped: RSA-OAEP (label hash and MGF1 with one digest) or PKCS #1 v1.5. */
export type RsaPadding = { oaep: 'sha256' | 'sha512' } | 'pkcs1';

/**
 * An RSA private key that unwraps the session keys of MDES's payloads, held
 * in a file or in an HSM. `decrypt` throws on a wrong key or a broken
 * padding; the caller answers every such failure alike.
 */
export interface RsaDecryptionKey {
  readonly publicKey: KeyObject;
  decrypt(encrypted: Buffer, padding: RsaPadding): Buffer;
}

export function fileDecryptionKey(privateKey: KeyObject): RsaDecryptionKey {
  return {
    publicKey: createPublicKey(privateKey),
    decrypt: (encrypted, padding) =>
      padding === 'pkcs1'
        ? unwrapPkcs1(encrypted, privateKey)
        : privateDecrypt(
            { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: padding.oaep },
            encrypted,
          ),
  };
}

export const isDecryptionKey = (key: KeyObject | RsaDecryptionKey): key is RsaDecryptionKey =>
  'decrypt' in key;

/**
 * RSAES-PKCS1-v1_5 unwrap, which MDES still accepts when a sender names no
 * OAEP digest. Node refuses it since CVE-2023-46809 (a timing oracle), so
 * node-forge does it; the simulator that meets it answers every failure
 * alike (CRYPTOGRAPHY_ERROR) and pushprov itself never sends it.
 */
function unwrapPkcs1(encryptedKey: Buffer, privateKey: KeyObject): Buffer {
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(pem);
  return Buffer.from(key.decrypt(encryptedKey.toString('binary'), 'RSAES-PKCS1-V1_5'), 'binary');
}
