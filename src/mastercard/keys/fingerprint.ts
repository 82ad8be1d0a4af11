import { createHash, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';

/**
 * Key and certificate fingerprints as Mastercard's client-encryption
 * libraries compute them, lowercase hex.
 */

/**
 * SHA-256 of the DER SubjectPublicKeyInfo. This is the JWE `kid` and the
 * default field-level `publicKeyFingerprint` (mastercard-client-encryption's
 * `publicKeyFingerprint`). A private key is fingerprinted by its public half.
 */
export function publicKeyFingerprint(key: KeyObject | X509Certificate): string {
  const publicKey =
    key instanceof X509Certificate ? key.publicKey : key.type === 'private' ? createPublicKey(key) : key;
  return sha256Hex(publicKey.export({ type: 'spki', format: 'der' }));
}

/** SHA-256 of the certificate's DER (`publicKeyFingerprintType: 'certificate'`). */
export function certificateFingerprint(certificate: X509Certificate): string {
  return sha256Hex(certificate.raw);
}

const sha256Hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
