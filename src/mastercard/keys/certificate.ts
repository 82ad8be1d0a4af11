import { type KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';
import forge from 'node-forge';

// Present in node-forge, missing from its type declarations.
declare module 'node-forge' {
  namespace pki {
    function getTBSCertificate(cert: Certificate): asn1.Asn1;
  }
}

export interface SelfSignedOptions {
  commonName: string;
  /** Signing keys may only sign; encryption keys may only wrap keys and encrypt. */
  usage: 'signing' | 'encryption';
  notBefore: Date;
  notAfter: Date;
}

/**
 * A self-signed X.509 certificate (SHA-256 with RSA) for development keys.
 * node-forge lays out the ASN.1; the signature itself is made by OpenSSL
 * through node:crypto.
 */
export function selfSignedCertificate(
  keys: { privateKey: KeyObject; publicKey: KeyObject },
  options: SelfSignedOptions,
): X509Certificate {
  const cert = forge.pki.createCertificate();
  const spki = keys.publicKey.export({ type: 'spki', format: 'der' });
  cert.publicKey = forge.pki.publicKeyFromAsn1(forge.asn1.fromDer(spki.toString('binary')));
  cert.serialNumber = positiveSerial();
  cert.validity.notBefore = options.notBefore;
  cert.validity.notAfter = options.notAfter;
  const name = [
    { name: 'commonName', value: options.commonName },
    { name: 'organizationName', value: 'pushprov development' },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    options.usage === 'signing'
      ? { name: 'keyUsage', critical: true, digitalSignature: true, nonRepudiation: true }
      : { name: 'keyUsage', critical: true, keyEncipherment: true, dataEncipherment: true },
  ]);
  cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  cert.signatureOid = forge.pki.oids.sha256WithRSAEncryption!;

  const tbs = forge.pki.getTBSCertificate(cert);
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  cert.tbsCertificate = tbs;
  cert.signature = sign('sha256', tbsDer, keys.privateKey).toString('binary');
  return new X509Certificate(
    Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary'),
  );
}

// 128 random bits, top bit clear so the DER INTEGER is positive and needs
// no leading zero byte (RFC 5280 §4.1.2.2).
function positiveSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x3f) | 0x40;
  return bytes.toString('hex');
}
