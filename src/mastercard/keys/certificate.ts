import { createHash, type KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
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
  const name = subjectName(options.commonName);
  return build(keys.publicKey, name, name, keys.privateKey, options, [
    { name: 'basicConstraints', cA: false, critical: true },
    options.usage === 'signing'
      ? { name: 'keyUsage', critical: true, digitalSignature: true, nonRepudiation: true }
      : { name: 'keyUsage', critical: true, keyEncipherment: true, dataEncipherment: true },
  ]);
}

export interface CertificateValidity {
  commonName: string;
  notBefore: Date;
  notAfter: Date;
}

/**
 * A self-signed certificate authority for a development PKI: it may sign
 * certificates (and revocation lists), not act as an end entity, and signs
 * only end-entity certificates (path length 0).
 */
export function certificateAuthority(
  keys: { privateKey: KeyObject; publicKey: KeyObject },
  options: CertificateValidity,
): X509Certificate {
  const name = subjectName(options.commonName);
  return build(keys.publicKey, name, name, keys.privateKey, options, [
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true },
    { name: 'subjectKeyIdentifier' },
  ]);
}

export type TlsCertificateOptions = CertificateValidity &
  (
    | {
        usage: 'tls-server';
        /** Host names and IP addresses the server answers on (subjectAltName, which TLS clients check). */
        hosts: readonly string[];
      }
    | { usage: 'tls-client' }
  );

/**
 * A TLS end-entity certificate for `publicKey`, signed by `issuer`: a server's
 * (serverAuth, with its host names and addresses) or a client's (clientAuth),
 * for mutually authenticated TLS.
 */
export function tlsCertificate(
  publicKey: KeyObject,
  issuer: { certificate: X509Certificate; privateKey: KeyObject },
  options: TlsCertificateOptions,
): X509Certificate {
  const issuerCert = forge.pki.certificateFromAsn1(
    forge.asn1.fromDer(issuer.certificate.raw.toString('binary')),
  );
  return build(
    publicKey,
    subjectName(options.commonName),
    issuerCert.subject.attributes,
    issuer.privateKey,
    options,
    [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
      options.usage === 'tls-server'
        ? { name: 'extKeyUsage', serverAuth: true }
        : { name: 'extKeyUsage', clientAuth: true },
      ...(options.usage === 'tls-server'
        ? [
            {
              name: 'subjectAltName',
              altNames: options.hosts.map((host) =>
                isIP(host) ? { type: 7, ip: host } : { type: 2, value: host },
              ),
            },
          ]
        : []),
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: keyIdentifier(issuer.certificate.publicKey) },
    ],
  );
}

type Attributes = forge.pki.CertificateField[];

const subjectName = (commonName: string): Attributes => [
  { name: 'commonName', value: commonName },
  { name: 'organizationName', value: 'pushprov development' },
];

function build(
  publicKey: KeyObject,
  subject: Attributes,
  issuer: Attributes,
  signingKey: KeyObject,
  validity: { notBefore: Date; notAfter: Date },
  extensions: object[],
): X509Certificate {
  const cert = forge.pki.createCertificate();
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  cert.publicKey = forge.pki.publicKeyFromAsn1(forge.asn1.fromDer(spki.toString('binary')));
  cert.serialNumber = positiveSerial();
  cert.validity.notBefore = validity.notBefore;
  cert.validity.notAfter = validity.notAfter;
  cert.setSubject(subject);
  cert.setIssuer(issuer);
  cert.setExtensions(extensions);
  cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  cert.signatureOid = forge.pki.oids.sha256WithRSAEncryption!;

  const tbs = forge.pki.getTBSCertificate(cert);
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  cert.tbsCertificate = tbs;
  cert.signature = sign('sha256', tbsDer, signingKey).toString('binary');
  return new X509Certificate(
    Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary'),
  );
}

// The key identifier as node-forge writes subjectKeyIdentifier (RFC 5280
// §4.2.1.2, method 1: SHA-1 of the subjectPublicKey bits), as a byte string,
// so the issued certificate's authorityKeyIdentifier names its CA's key.
function keyIdentifier(publicKey: KeyObject): string {
  return createHash('sha1')
    .update(publicKey.export({ type: 'pkcs1', format: 'der' }))
    .digest('binary');
}

// 128 random bits, top bit clear so the DER INTEGER is positive and needs
// no leading zero byte (RFC 5280 §4.1.2.2).
function positiveSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x3f) | 0x40;
  return bytes.toString('hex');
}
