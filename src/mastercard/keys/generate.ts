import { generateKeyPair, type KeyObject, randomBytes, type X509Certificate } from 'node:crypto';
import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { type Clock, systemClock } from '../../core/clock.js';
import { CryptoError } from '../../core/errors.js';
import { selfSignedCertificate } from './certificate.js';
import { certificateFingerprint, publicKeyFingerprint } from './fingerprint.js';
import { loadPrivateKey, loadPublicKey } from './load.js';

/**
 * A development key set: every key the issuer, the Mastercard simulator and
 * the merchant simulator need, generated locally. None of it is ever
 * accepted by Mastercard; it exists so pushprov runs end to end offline.
 */

export const DEV_PKCS12_ALIAS = 'pushprov-issuer';
/** Well known, like the keys it protects: development only. */
export const DEV_PKCS12_PASSWORD = 'pushprov-dev';

export type DevKeyRole =
  | 'issuerSigning'
  | 'mastercardEncryption'
  | 'mastercardSigning'
  | 'issuerEncryption'
  | 'merchantSigning';

interface RoleSpec {
  /** File name stem in the key directory. */
  stem: string;
  description: string;
  certificate?: 'signing' | 'encryption';
}

const ROLES: Readonly<Record<DevKeyRole, RoleSpec>> = {
  issuerSigning: {
    stem: 'issuer-signing',
    description: 'issuer OAuth signing key; Mastercard holds its certificate',
    certificate: 'signing',
  },
  mastercardEncryption: {
    stem: 'mastercard-encryption',
    description: 'Mastercard encryption key; the issuer encrypts to its certificate',
    certificate: 'encryption',
  },
  mastercardSigning: {
    stem: 'mastercard-signing',
    description: 'Mastercard signing key, for signatures Mastercard produces',
  },
  issuerEncryption: {
    stem: 'issuer-encryption',
    description: "issuer encryption key; Mastercard's side encrypts to its certificate",
    certificate: 'encryption',
  },
  merchantSigning: {
    stem: 'merchant-signing',
    description: 'merchant (token requestor) signing key',
  },
};
const ROLE_NAMES = Object.keys(ROLES) as DevKeyRole[];
const MANIFEST = 'pushprov-dev-keys.json';

interface DevKeyFiles {
  /** PKCS#8 PEM, mode 0600. */
  privateKey: string;
  /** SubjectPublicKeyInfo PEM. */
  publicKey: string;
  /** Self-signed X.509 PEM, for keys others encrypt to or verify with. */
  certificate?: string;
  /** The private key and its certificate as PKCS#12 (issuer signing key only), mode 0600. */
  pkcs12?: string;
}

interface DevKeySummaryEntry {
  description: string;
  files: DevKeyFiles;
  publicKeyFingerprint: string;
  certificateFingerprint?: string;
}

/** What a CLI may print: paths, fingerprints and identifiers, never key material. */
export interface DevKeySummary {
  dir: string;
  consumerKey: string;
  pkcs12Alias: string;
  keys: Record<DevKeyRole, DevKeySummaryEntry>;
}

export interface GenerateDevKeysOptions {
  onProgress?: (step: string) => void;
  /** Replace an existing set; by default an existing file stops generation. */
  overwrite?: boolean;
  clock?: Clock;
}

const generateRsa = promisify(generateKeyPair);

export async function generateDevKeys(
  dir: string,
  options: GenerateDevKeysOptions = {},
): Promise<DevKeySummary> {
  const progress = options.onProgress ?? (() => {});
  const root = resolve(dir);
  const paths = Object.fromEntries(ROLE_NAMES.map((role) => [role, filesOf(root, role)])) as Record<
    DevKeyRole,
    DevKeyFiles
  >;
  if (!options.overwrite)
    await refuseExisting([join(root, MANIFEST), ...ROLE_NAMES.flatMap((r) => filesIn(paths[r]))]);

  progress(`generating ${ROLE_NAMES.length} RSA-2048 key pairs`);
  const pairs = await Promise.all(
    ROLE_NAMES.map(() => generateRsa('rsa', { modulusLength: 2048, publicExponent: 0x10001 })),
  );

  progress('issuing self-signed certificates');
  const now = (options.clock ?? systemClock).now();
  const certificates = new Map<DevKeyRole, X509Certificate>();
  ROLE_NAMES.forEach((role, i) => {
    const usage = ROLES[role].certificate;
    if (!usage) return;
    certificates.set(
      role,
      selfSignedCertificate(pairs[i]!, {
        commonName: `pushprov dev ${ROLES[role].stem}`,
        usage,
        // An hour back absorbs clock skew between the processes that use it.
        notBefore: new Date(now.getTime() - 3_600_000),
        notAfter: new Date(now.getTime() + 2 * 365 * 86_400_000),
      }),
    );
  });

  progress(`writing the key set to ${root}`);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const flag = options.overwrite ? 'w' : 'wx';
  const keys = {} as Record<DevKeyRole, DevKeySummaryEntry>;
  for (const [i, role] of ROLE_NAMES.entries()) {
    const { privateKey, publicKey } = pairs[i]!;
    const files = paths[role];
    const certificate = certificates.get(role);
    await writeSecret(files.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), flag);
    await writeFile(files.publicKey, publicKey.export({ type: 'spki', format: 'pem' }), {
      flag,
      mode: 0o644,
    });
    if (certificate && files.certificate) {
      await writeFile(files.certificate, certificate.toString(), { flag, mode: 0o644 });
    }
    // Only the issuer signing key has a PKCS#12 path: Mastercard hands signing keys out that way.
    if (certificate && files.pkcs12) {
      await writeSecret(files.pkcs12, pkcs12(privateKey, certificate), flag);
    }
    keys[role] = {
      description: ROLES[role].description,
      files,
      publicKeyFingerprint: publicKeyFingerprint(publicKey),
      ...(certificate ? { certificateFingerprint: certificateFingerprint(certificate) } : {}),
    };
  }

  const summary: DevKeySummary = {
    dir: root,
    consumerKey: devConsumerKey(),
    pkcs12Alias: DEV_PKCS12_ALIAS,
    keys,
  };
  await writeFile(join(root, MANIFEST), `${JSON.stringify(manifestOf(summary), null, 2)}\n`, {
    flag,
    mode: 0o644,
  });
  return summary;
}

interface DevKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  certificate?: X509Certificate;
}

export type DevKeys = { consumerKey: string } & Record<DevKeyRole, DevKeyPair>;

/** Reads a set written by `generateDevKeys`, checking each key against the recorded fingerprints. */
export async function loadDevKeys(dir: string): Promise<DevKeys> {
  const root = resolve(dir);
  const manifest = await readManifest(root);
  const keys = { consumerKey: manifest.consumerKey } as DevKeys;
  for (const role of ROLE_NAMES) {
    const files = filesOf(root, role);
    const privateKey = await loadPrivateKey({ path: files.privateKey });
    const { publicKey, certificate } = await loadPublicKey({ path: files.certificate ?? files.publicKey });
    const expected = manifest.keys[role];
    if (
      publicKeyFingerprint(privateKey) !== expected.publicKeyFingerprint ||
      publicKeyFingerprint(publicKey) !== expected.publicKeyFingerprint ||
      (certificate && certificateFingerprint(certificate) !== expected.certificateFingerprint)
    ) {
      throw inconsistent(root, `the ${ROLES[role].stem} files do not match ${MANIFEST}`);
    }
    keys[role] = { privateKey, publicKey, ...(certificate ? { certificate } : {}) };
  }
  return keys;
}

function filesOf(root: string, role: DevKeyRole): DevKeyFiles {
  const { stem, certificate } = ROLES[role];
  return {
    privateKey: join(root, `${stem}.key.pem`),
    publicKey: join(root, `${stem}.pub.pem`),
    ...(certificate ? { certificate: join(root, `${stem}.crt.pem`) } : {}),
    ...(role === 'issuerSigning' ? { pkcs12: join(root, `${stem}.p12`) } : {}),
  };
}

const filesIn = (files: DevKeyFiles): string[] =>
  [files.privateKey, files.publicKey, files.certificate, files.pkcs12].filter((f) => f !== undefined);

/** Stops with KEY_DEV_SET_EXISTS at the first of `paths` that exists. */
export async function refuseExisting(paths: string[]): Promise<void> {
  for (const path of paths) {
    const exists = await access(path).then(
      () => true,
      () => false,
    );
    if (exists) {
      throw new CryptoError(
        'KEY_DEV_SET_EXISTS',
        `${path} already exists; remove the old set or overwrite it`,
      );
    }
  }
}

/** Writes key material readable by its owner only, also over an existing file. */
export async function writeSecret(path: string, data: string | Uint8Array, flag: string): Promise<void> {
  await writeFile(path, data, { flag, mode: 0o600 });
  // mode applies only when the file is created; an overwritten file keeps its own.
  await chmod(path, 0o600);
}

function pkcs12(privateKey: KeyObject, certificate: X509Certificate): Buffer {
  const der = (bytes: Buffer) => forge.asn1.fromDer(bytes.toString('binary'));
  const key = forge.pki.privateKeyFromAsn1(der(privateKey.export({ type: 'pkcs8', format: 'der' })));
  const cert = forge.pki.certificateFromAsn1(der(certificate.raw));
  // The OpenSSL 3 profile: PBES2 with AES-256-CBC and PBKDF2-HMAC-SHA256.
  const options = {
    algorithm: 'aes256' as const,
    prfAlgorithm: 'sha256',
    count: 10_000,
    friendlyName: DEV_PKCS12_ALIAS,
    generateLocalKeyId: true,
  };
  const p12 = forge.pkcs12.toPkcs12Asn1(key, [cert], DEV_PKCS12_PASSWORD, options);
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
}

/**
 * A consumer key shaped like the ones the Mastercard Developers portal
 * issues: 97 characters, 48 of base64url, "!", then 48 hex digits (the
 * hex of a 24-character base64 string).
 */
function devConsumerKey(): string {
  const id = randomBytes(36).toString('base64url');
  const suffix = Buffer.from(randomBytes(16).toString('base64'), 'latin1').toString('hex');
  return `${id}!${suffix}`;
}

interface Manifest {
  format: 1;
  consumerKey: string;
  keys: Record<DevKeyRole, { publicKeyFingerprint: string; certificateFingerprint?: string }>;
}

const manifestOf = (summary: DevKeySummary): Manifest => ({
  format: 1,
  consumerKey: summary.consumerKey,
  keys: Object.fromEntries(
    ROLE_NAMES.map((role) => {
      const { publicKeyFingerprint, certificateFingerprint } = summary.keys[role];
      return [role, { publicKeyFingerprint, ...(certificateFingerprint ? { certificateFingerprint } : {}) }];
    }),
  ) as Manifest['keys'],
});

async function readManifest(root: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(join(root, MANIFEST), 'utf8');
  } catch (error) {
    throw new CryptoError('KEY_DEV_SET_NOT_FOUND', `no development key set in ${root}; generate one first`, {
      cause: error,
    });
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw inconsistent(root, `${MANIFEST} is not JSON`, error);
  }
  if (!isManifest(manifest)) throw inconsistent(root, `${MANIFEST} is not a pushprov key set manifest`);
  return manifest;
}

function isManifest(value: unknown): value is Manifest {
  if (typeof value !== 'object' || value === null) return false;
  const { format, consumerKey, keys } = value as Record<string, unknown>;
  if (format !== 1 || typeof consumerKey !== 'string' || typeof keys !== 'object' || keys === null)
    return false;
  return ROLE_NAMES.every((role) => {
    const entry = (keys as Record<string, unknown>)[role] as Record<string, unknown> | undefined;
    return typeof entry?.publicKeyFingerprint === 'string';
  });
}

const inconsistent = (root: string, why: string, cause?: unknown) =>
  new CryptoError('KEY_DEV_SET_INCONSISTENT', `development key set in ${root}: ${why}`, { cause });
