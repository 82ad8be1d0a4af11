import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import forge from 'node-forge';
import { CryptoError, PushprovError } from '../../core/errors.js';

/**
 * Loading the RSA keys and certificates Mastercard integrations use, from
 * whatever container they arrive in, into `KeyObject`s parsed once. Every
 * failure has its own KEY_* code; messages name files and aliases but never
 * a password or key material.
 */

/** A file, or its contents (PEM text or DER/PKCS#12 bytes). */
export type KeySource = { path: string } | { data: string | Uint8Array };

export interface PrivateKeyOptions {
  /** Password of a PKCS#12 store or an encrypted PEM/DER key. */
  password?: string;
  /** Friendly name of the key in a PKCS#12 store; optional when it holds one key. */
  alias?: string;
}

export interface PublicKeyWithCertificate {
  publicKey: KeyObject;
  /** Present when the source was a certificate. */
  certificate?: X509Certificate;
}

/**
 * An RSA private key (a signing or a decryption key) from PKCS#12, PEM
 * (PKCS#1, PKCS#8 or encrypted PKCS#8) or DER (PKCS#8 or PKCS#1).
 */
export async function loadPrivateKey(source: KeySource, options: PrivateKeyOptions = {}): Promise<KeyObject> {
  const bytes = await read(source);
  const pem = pemLabel(bytes);
  if (pem !== undefined) {
    if (!PRIVATE_LABELS.has(pem.label)) throw notPrivate(source, pem.label.toLowerCase());
    if (pem.encrypted && options.password === undefined) throw passwordRequired(source);
    const key = parse(source, () => createPrivateKey({ key: pem.text, passphrase: options.password }));
    return requireRsa(source, key);
  }
  if (isPkcs12(bytes)) return requireRsa(source, fromPkcs12(source, bytes, options));
  let key: KeyObject;
  try {
    key = privateFromDer(bytes, options.password);
  } catch (error) {
    if (publicFromDer(bytes) !== undefined) throw notPrivate(source, 'certificate or public key');
    throw keyError(source, error);
  }
  return requireRsa(source, key);
}

/**
 * An RSA public key: from an X.509 certificate (PEM or DER), which is also
 * returned, or from a bare SubjectPublicKeyInfo or PKCS#1 public key (PEM or DER).
 */
export async function loadPublicKey(source: KeySource): Promise<PublicKeyWithCertificate> {
  const bytes = await read(source);
  const pem = pemLabel(bytes);
  let found: PublicKeyWithCertificate;
  if (pem !== undefined) {
    if (!PUBLIC_LABELS.has(pem.label)) throw notPublic(source, pem.label.toLowerCase());
    found = parse(source, () =>
      pem.label === 'CERTIFICATE'
        ? withCertificate(new X509Certificate(bytes))
        : { publicKey: createPublicKey(pem.text) },
    );
  } else {
    // A private key would also yield its public half; refuse it so private
    // material is never configured where only a public key belongs.
    if (isPkcs12(bytes) || privateFromDerOrUndefined(bytes) !== undefined)
      throw notPublic(source, 'private key');
    const der = publicFromDer(bytes);
    if (der === undefined) throw unrecognised(source);
    found = der;
  }
  requireRsa(source, found.publicKey);
  return found;
}

const PRIVATE_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'ENCRYPTED PRIVATE KEY']);
const PUBLIC_LABELS = new Set(['CERTIFICATE', 'PUBLIC KEY', 'RSA PUBLIC KEY']);

async function read(source: KeySource): Promise<Buffer> {
  if ('data' in source) return Buffer.from(source.data);
  try {
    return await readFile(source.path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'read error';
    throw new PushprovError('KEY_FILE_UNREADABLE', `cannot read key file ${source.path} (${reason})`, {
      status: 500,
      cause: error,
    });
  }
}

const sourceName = (source: KeySource): string => ('path' in source ? `key file ${source.path}` : 'key data');

/** The label of the first PEM block and whether it is encrypted; undefined for binary input. */
function pemLabel(bytes: Buffer): { label: string; encrypted: boolean; text: string } | undefined {
  const text = bytes.toString('latin1');
  const begin = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text);
  if (!begin) return undefined;
  const label = begin[1]!;
  // PKCS#8 encryption shows in the label, OpenSSL's traditional one in a header.
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,\s*ENCRYPTED/.test(text);
  return { label, encrypted, text };
}

// PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo, ... }
function isPkcs12(bytes: Buffer): boolean {
  try {
    const pfx = forge.asn1.fromDer(bytes.toString('binary'), false);
    const [version, authSafe] = Array.isArray(pfx.value) ? pfx.value : [];
    return (
      version?.type === forge.asn1.Type.INTEGER &&
      forge.asn1.derToInteger(version.value as string) === 3 &&
      authSafe?.type === forge.asn1.Type.SEQUENCE
    );
  } catch {
    return false;
  }
}

const withCertificate = (certificate: X509Certificate): PublicKeyWithCertificate => ({
  publicKey: certificate.publicKey,
  certificate,
});

/** A DER certificate, SubjectPublicKeyInfo or PKCS#1 public key; undefined if it is none of those. */
function publicFromDer(bytes: Buffer): PublicKeyWithCertificate | undefined {
  const attempts = [
    () => withCertificate(new X509Certificate(bytes)),
    () => ({ publicKey: createPublicKey({ key: bytes, format: 'der', type: 'spki' }) }),
    // Checked last: given a private PKCS#1 key, this derives its public half.
    () => ({ publicKey: createPublicKey({ key: bytes, format: 'der', type: 'pkcs1' }) }),
  ];
  for (const attempt of attempts) {
    try {
      return attempt();
    } catch {}
  }
  return undefined;
}

function privateFromDer(bytes: Buffer, passphrase: string | undefined): KeyObject {
  try {
    return createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8', passphrase });
  } catch (error) {
    try {
      return createPrivateKey({ key: bytes, format: 'der', type: 'pkcs1' });
    } catch {
      // The PKCS#8 error says more (a wrong password, say) than PKCS#1's.
      throw error;
    }
  }
}

function privateFromDerOrUndefined(bytes: Buffer): KeyObject | undefined {
  try {
    return privateFromDer(bytes, undefined);
  } catch {
    return undefined;
  }
}

/** Runs an OpenSSL parse, turning its errors into KEY_* codes. */
function parse<T>(source: KeySource, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw keyError(source, error);
  }
}

function keyError(source: KeySource, error: unknown): CryptoError {
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_OSSL_BAD_DECRYPT' || code === 'ERR_OSSL_EVP_BAD_DECRYPT') {
    return new CryptoError('KEY_PASSWORD_INVALID', `wrong password for ${sourceName(source)}`, {
      cause: error,
    });
  }
  // Node 20 reports a missing passphrase as OpenSSL's "interrupted or cancelled".
  if (code === 'ERR_MISSING_PASSPHRASE' || code === 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED') {
    return passwordRequired(source);
  }
  return unrecognised(source, error);
}

function fromPkcs12(source: KeySource, bytes: Buffer, options: PrivateKeyOptions): KeyObject {
  let pfx: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(bytes.toString('binary'), false);
    pfx = forge.pkcs12.pkcs12FromAsn1(asn1, false, options.password ?? '');
  } catch (error) {
    // forge reports a failed MAC or key decryption as "... Invalid/wrong password?".
    if (/password/i.test((error as Error).message)) {
      throw options.password === undefined
        ? passwordRequired(source)
        : new CryptoError('KEY_PASSWORD_INVALID', `wrong password for ${sourceName(source)}`);
    }
    throw new CryptoError(
      'KEY_PKCS12_UNSUPPORTED',
      `${sourceName(source)} is a PKCS#12 store pushprov cannot read (only RSA keys and standard algorithms)`,
      { cause: error },
    );
  }

  const bag = pickKeyBag(source, pfx, options.alias);
  // forge only unwraps the container; the key goes to OpenSSL as PKCS#8 DER.
  // forge parses RSA keys itself and leaves others as PrivateKeyInfo.
  const privateKeyInfo = bag.key
    ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key))
    : bag.asn1;
  const der = Buffer.from(forge.asn1.toDer(privateKeyInfo).getBytes(), 'binary');
  return parse(source, () => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
}

/** The key bag named by the alias, or the only one when no alias is given. */
function pickKeyBag(
  source: KeySource,
  pfx: forge.pkcs12.Pkcs12Pfx,
  alias: string | undefined,
): forge.pkcs12.Bag {
  const bags = [forge.pki.oids.pkcs8ShroudedKeyBag!, forge.pki.oids.keyBag!].flatMap(
    (bagType) => pfx.getBags({ bagType })[bagType] ?? [],
  );
  const aliasOf = (bag: forge.pkcs12.Bag): string | undefined =>
    (bag.attributes as { friendlyName?: string[] }).friendlyName?.[0];
  const aliases = bags.map(aliasOf).filter((a) => a !== undefined);
  if (alias !== undefined) {
    const named = bags.find((bag) => aliasOf(bag) === alias);
    if (named) return named;
    throw new CryptoError('KEY_ALIAS_NOT_FOUND', `${sourceName(source)} has no key named '${alias}'`, {
      details: { aliases },
    });
  }
  if (bags.length === 1) return bags[0]!;
  throw bags.length === 0
    ? new CryptoError('KEY_NOT_PRIVATE', `${sourceName(source)} holds no private key`)
    : new CryptoError('KEY_ALIAS_REQUIRED', `${sourceName(source)} holds ${bags.length} keys; name one`, {
        details: { aliases },
      });
}

function requireRsa(source: KeySource, key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'rsa') {
    throw new CryptoError(
      'KEY_NOT_RSA',
      `${sourceName(source)} holds a ${key.asymmetricKeyType ?? 'non-asymmetric'} key; Mastercard keys are RSA`,
    );
  }
  return key;
}

const unrecognised = (source: KeySource, cause?: unknown) =>
  new CryptoError('KEY_UNRECOGNISED', `${sourceName(source)} holds no key or certificate pushprov can read`, {
    cause,
  });

const passwordRequired = (source: KeySource) =>
  new CryptoError('KEY_PASSWORD_REQUIRED', `${sourceName(source)} is encrypted; a password is required`);

const notPrivate = (source: KeySource, label: string) =>
  new CryptoError('KEY_NOT_PRIVATE', `${sourceName(source)} holds a ${label}, not a private key`);

const notPublic = (source: KeySource, label: string) =>
  new CryptoError(
    'KEY_NOT_PUBLIC',
    `${sourceName(source)} holds a ${label}, not a certificate or public key`,
  );
