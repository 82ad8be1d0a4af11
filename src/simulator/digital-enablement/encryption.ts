import { createPublicKey, X509Certificate } from 'node:crypto';
import { FieldLevelPayloadEncrypter } from '../../mastercard/token-connect/encrypter.js';
import type { Client } from '../gateway/clients.js';

/**
 * How MDES encrypts to a token requestor: Mastercard's field-level scheme
 * (AES-128-CBC under a one-time key wrapped with RSA-OAEP SHA-512, hex), to
 * the key the token requestor registered, named by its certificate's
 * fingerprint when it registered a certificate (Mastercard's MDES presets),
 * else by its public key's. Undefined for a client that registered no key:
 * only Click to Pay, which runs inside Mastercard and is never sent anything.
 */
export function encrypterFor(
  client: Pick<Client, 'encryptionPublicKey' | 'encryptionCertificate'>,
): FieldLevelPayloadEncrypter | undefined {
  const key = client.encryptionCertificate ?? client.encryptionPublicKey;
  return key && new FieldLevelPayloadEncrypter({ encryptionKey: key });
}

/** The same, from the PEMs of an mc_clients row. */
export function encrypterOfRow(row: {
  encryption_public_key_pem: string | null;
  encryption_certificate_pem: string | null;
}): FieldLevelPayloadEncrypter | undefined {
  return encrypterFor({
    encryptionPublicKey:
      row.encryption_public_key_pem === null ? undefined : createPublicKey(row.encryption_public_key_pem),
    encryptionCertificate:
      row.encryption_certificate_pem === null
        ? undefined
        : new X509Certificate(row.encryption_certificate_pem),
  });
}
