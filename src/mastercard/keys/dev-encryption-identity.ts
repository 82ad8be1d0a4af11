import { generateKeyPair, type KeyObject, type X509Certificate } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Clock, systemClock } from '../../core/clock.js';
import { CryptoError } from '../../core/errors.js';
import { selfSignedCertificate } from './certificate.js';
import { publicKeyFingerprint } from './fingerprint.js';
import { writeSecret } from './generate.js';
import { loadPrivateKey, loadPublicKey } from './load.js';

/**
 * A development encryption identity of a token requestor: the RSA key MDES
 * encrypts token details and Notify Token Updated payloads to, with the
 * self-signed certificate the token requestor registers with MDES (Mastercard
 * names the key by the certificate's fingerprint). Written beside the
 * development key set and found apart from it, so a set generated before it
 * existed gains one without losing its keys.
 */
export interface EncryptionIdentity {
  privateKey: KeyObject;
  publicKey: KeyObject;
  certificate: X509Certificate;
}

const generateRsa = promisify(generateKeyPair);

export function encryptionIdentityFiles(dir: string, stem: string) {
  const root = resolve(dir);
  return { privateKey: join(root, `${stem}.key.pem`), certificate: join(root, `${stem}.crt.pem`) };
}

/** Loads the identity under `stem` in `dir`, generating it first when either file is missing. */
export async function ensureEncryptionIdentity(
  dir: string,
  stem: string,
  options: { clock?: Clock; onGenerate?: (path: string) => void } = {},
): Promise<EncryptionIdentity> {
  const files = encryptionIdentityFiles(dir, stem);
  const present = await Promise.all(
    [files.privateKey, files.certificate].map((path) =>
      access(path).then(
        () => true,
        () => false,
      ),
    ),
  );
  if (!present.every(Boolean)) {
    options.onGenerate?.(files.certificate);
    const pair = await generateRsa('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    const now = (options.clock ?? systemClock).now();
    const certificate = selfSignedCertificate(pair, {
      commonName: `pushprov dev ${stem}`,
      usage: 'encryption',
      notBefore: new Date(now.getTime() - 3_600_000),
      notAfter: new Date(now.getTime() + 2 * 365 * 86_400_000),
    });
    await mkdir(resolve(dir), { recursive: true, mode: 0o700 });
    await writeSecret(files.privateKey, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), 'w');
    await writeFile(files.certificate, certificate.toString(), { mode: 0o644 });
  }
  const privateKey = await loadPrivateKey({ path: files.privateKey });
  const { publicKey, certificate } = await loadPublicKey({ path: files.certificate });
  // A key and a certificate that do not belong together would have MDES encrypt to a key nobody holds.
  if (!certificate || publicKeyFingerprint(privateKey) !== publicKeyFingerprint(publicKey)) {
    throw new CryptoError(
      'KEY_DEV_SET_INCONSISTENT',
      `${files.certificate} is not the certificate of ${files.privateKey}; remove both to have them made anew`,
    );
  }
  return { privateKey, publicKey, certificate };
}
