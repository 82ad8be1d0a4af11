import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../src/mastercard/keys/certificate.js';
import { certificateFingerprint, publicKeyFingerprint } from '../../src/mastercard/keys/fingerprint.js';
import { fixture, signingKey, verifyingKey } from '../fixtures/keys/index.js';

/**
 * Fingerprints must equal what mastercard-client-encryption computes: its
 * `publicKeyFingerprint` (the JWE kid and field-level default) and the
 * 'certificate' fingerprint type, which hash forge's encodings of the
 * certificate it reads.
 */
const require = createRequire(import.meta.url);
const mastercardUtils = require('mastercard-client-encryption').EncryptionUtils as {
  publicKeyFingerprint(cert: forge.pki.Certificate): string;
  computePublicFingerprint(
    config: { publicKeyFingerprintType: 'certificate' | 'publicKey' },
    cert: forge.pki.Certificate,
    encoding: 'hex' | 'base64',
  ): string;
};
const JweCrypto = require('mastercard-client-encryption/lib/mcapi/crypto/jwe-crypto.js') as new (config: {
  encryptionCertificate: string;
  encryptedValueFieldName: string;
  paths: { path: string; toEncrypt: unknown[]; toDecrypt: unknown[] }[];
}) => { publicKeyFingerprint: string };

const fixtureCertificate = new X509Certificate(readFileSync(fixture('rsa.crt.pem')));
const generated = generateKeyPairSync('rsa', { modulusLength: 2048 });
const generatedCertificate = selfSignedCertificate(generated, {
  commonName: 'fingerprint test',
  usage: 'encryption',
  notBefore: new Date(),
  notAfter: new Date(Date.now() + 86_400_000),
});

describe('publicKeyFingerprint', () => {
  it('is the SHA-256 of the DER SubjectPublicKeyInfo, as OpenSSL computes it', () => {
    const expected = readFileSync(fixture('rsa.spki.sha256'), 'utf8').trim();
    expect(publicKeyFingerprint(fixtureCertificate)).toBe(expected);
    expect(publicKeyFingerprint(verifyingKey)).toBe(expected);
  });

  it('is the same from the private key, the public key and the certificate', () => {
    expect(publicKeyFingerprint(signingKey)).toBe(publicKeyFingerprint(verifyingKey));
    expect(publicKeyFingerprint(generated.privateKey)).toBe(publicKeyFingerprint(generatedCertificate));
  });

  it.each([
    ['an OpenSSL certificate', fixtureCertificate],
    ['a pushprov certificate', generatedCertificate],
  ])("equals mastercard-client-encryption's publicKeyFingerprint for %s", (_, certificate) => {
    const theirs = mastercardUtils.publicKeyFingerprint(forge.pki.certificateFromPem(certificate.toString()));
    expect(publicKeyFingerprint(certificate)).toBe(theirs);
  });

  it('equals the kid mastercard-client-encryption puts in its JWE headers', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pushprov-kid-')), 'cert.pem');
    writeFileSync(path, generatedCertificate.toString());
    const jwe = new JweCrypto({
      encryptionCertificate: path,
      encryptedValueFieldName: 'encryptedValue',
      paths: [{ path: '/x', toEncrypt: [], toDecrypt: [] }],
    });
    expect(publicKeyFingerprint(generatedCertificate)).toBe(jwe.publicKeyFingerprint);
  });
});

describe('certificateFingerprint', () => {
  it('is the SHA-256 of the certificate DER, as OpenSSL computes it', () => {
    const expected = readFileSync(fixture('rsa.crt.sha256'), 'utf8').trim();
    expect(certificateFingerprint(fixtureCertificate)).toBe(expected);
    expect(certificateFingerprint(fixtureCertificate)).toBe(
      fixtureCertificate.fingerprint256.replaceAll(':', '').toLowerCase(),
    );
  });

  it.each([
    ['an OpenSSL certificate', fixtureCertificate],
    ['a pushprov certificate', generatedCertificate],
  ])("equals mastercard-client-encryption's 'certificate' fingerprint for %s", (_, certificate) => {
    const forgeCertificate = forge.pki.certificateFromPem(certificate.toString());
    const theirs = mastercardUtils.computePublicFingerprint(
      { publicKeyFingerprintType: 'certificate' },
      forgeCertificate,
      'hex',
    );
    expect(certificateFingerprint(certificate)).toBe(theirs);
  });

  it('differs from the public key fingerprint', () => {
    expect(certificateFingerprint(fixtureCertificate)).not.toBe(publicKeyFingerprint(fixtureCertificate));
  });
});
