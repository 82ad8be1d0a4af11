import { createPublicKey, type KeyObject, sign } from 'node:crypto';

/**
 * An RSA private key that signs with RSASSA-PKCS1-v1_5 over SHA-256 (what
 * Mastercard's OAuth 1.0a RSA-SHA256 needs), held in a file or in an HSM.
 */
export interface SigningKey {
  readonly publicKey: KeyObject;
  signSha256(data: Buffer): Buffer;
}

export function fileSigningKey(privateKey: KeyObject): SigningKey {
  return {
    publicKey: createPublicKey(privateKey),
    signSha256: (data) => sign('sha256', data, privateKey),
  };
}

export const isSigningKey = (key: KeyObject | SigningKey): key is SigningKey => 'signSha256' in key;
