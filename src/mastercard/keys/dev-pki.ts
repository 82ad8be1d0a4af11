import { generateKeyPair, type KeyObject, type X509Certificate } from 'node:crypto';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Clock, systemClock } from '../../core/clock.js';
import { CryptoError } from '../../core/errors.js';
import { certificateAuthority, tlsCertificate } from './certificate.js';
import { certificateFingerprint } from './fingerprint.js';
import { refuseExisting, writeSecret } from './generate.js';
import { loadPrivateKey, loadPublicKey } from './load.js';

/**
 * A development PKI for the mutually authenticated TLS between MDES and the
 * issuer's Pre-Digitization web services (docs/mastercard/pre-digitization.md
 * §3): a certificate authority, the certificate of the issuer's MDES listener
 * (localhost, 127.0.0.1, ::1) and the client certificate the simulated MDES
 * presents, both signed by that authority. Written beside the development
 * keys, and like them never accepted by Mastercard. The authority's key is
 * kept so that more certificates can be issued from it (tests issue an
 * expired one).
 */

export type DevPkiRole = 'ca' | 'server' | 'client';

const ROLES: Readonly<Record<DevPkiRole, { stem: string; description: string }>> = {
  ca: { stem: 'mtls-ca', description: 'development CA of the MDES mutual TLS; the MDES listener trusts it' },
  server: {
    stem: 'mdes-listener',
    description: "server certificate of the issuer's MDES listener (localhost, 127.0.0.1, ::1)",
  },
  client: { stem: 'mdes-client', description: 'client certificate the simulated MDES presents' },
};
const ROLE_NAMES = Object.keys(ROLES) as DevPkiRole[];

/** Where the server certificate is valid: the listener as a developer's machine reaches it. */
export const DEV_SERVER_HOSTS = ['localhost', '127.0.0.1', '::1'] as const;

export interface TlsIdentityFiles {
  /** X.509 PEM, mode 0644. */
  certificate: string;
  /** PKCS#8 PEM, mode 0600. */
  privateKey: string;
}

/** The files of each part of the development PKI in `dir` (the development key directory). */
export function devPkiFiles(dir: string): Record<DevPkiRole, TlsIdentityFiles> {
  const root = resolve(dir);
  return Object.fromEntries(
    ROLE_NAMES.map((role) => [
      role,
      {
        certificate: join(root, `${ROLES[role].stem}.crt.pem`),
        privateKey: join(root, `${ROLES[role].stem}.key.pem`),
      },
    ]),
  ) as Record<DevPkiRole, TlsIdentityFiles>;
}

interface TlsIdentity {
  certificate: X509Certificate;
  privateKey: KeyObject;
}

export type DevPki = Record<DevPkiRole, TlsIdentity>;

/** What a CLI may print: paths and fingerprints, never key material. */
export interface DevPkiSummary {
  dir: string;
  entries: Record<
    DevPkiRole,
    { description: string; files: TlsIdentityFiles; certificateFingerprint: string }
  >;
}

export interface GenerateDevPkiOptions {
  onProgress?: (step: string) => void;
  /** Replace existing files; by default an existing file stops generation. */
  overwrite?: boolean;
  clock?: Clock;
}

const generateRsa = promisify(generateKeyPair);

export async function generateDevPki(
  dir: string,
  options: GenerateDevPkiOptions = {},
): Promise<DevPkiSummary> {
  const progress = options.onProgress ?? (() => {});
  const root = resolve(dir);
  const files = devPkiFiles(root);
  if (!options.overwrite)
    await refuseExisting(ROLE_NAMES.flatMap((r) => [files[r].certificate, files[r].privateKey]));

  progress('generating the mutual TLS development CA and its server and client certificates');
  const [ca, server, client] = await Promise.all(
    ROLE_NAMES.map(() => generateRsa('rsa', { modulusLength: 2048, publicExponent: 0x10001 })),
  );
  const now = (options.clock ?? systemClock).now().getTime();
  // An hour back absorbs clock skew between the processes that use them; two years, as the other development keys.
  const validity = { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + 2 * 365 * 86_400_000) };
  const caCertificate = certificateAuthority(ca!, { commonName: 'pushprov dev MDES mTLS CA', ...validity });
  const issuer = { certificate: caCertificate, privateKey: ca!.privateKey };
  const identities: Record<DevPkiRole, { certificate: X509Certificate; privateKey: KeyObject }> = {
    ca: issuer,
    server: {
      certificate: tlsCertificate(server!.publicKey, issuer, {
        commonName: 'localhost',
        usage: 'tls-server',
        hosts: DEV_SERVER_HOSTS,
        ...validity,
      }),
      privateKey: server!.privateKey,
    },
    client: {
      certificate: tlsCertificate(client!.publicKey, issuer, {
        commonName: 'pushprov dev simulated MDES',
        usage: 'tls-client',
        ...validity,
      }),
      privateKey: client!.privateKey,
    },
  };

  await mkdir(root, { recursive: true, mode: 0o700 });
  const flag = options.overwrite ? 'w' : 'wx';
  const entries = {} as DevPkiSummary['entries'];
  for (const role of ROLE_NAMES) {
    const { certificate, privateKey } = identities[role];
    await writeSecret(files[role].privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), flag);
    await writeFile(files[role].certificate, certificate.toString(), { flag, mode: 0o644 });
    entries[role] = {
      description: ROLES[role].description,
      files: files[role],
      certificateFingerprint: certificateFingerprint(certificate),
    };
  }
  return { dir: root, entries };
}

/** Whether `dir` holds a complete development PKI (every file present). */
export async function hasDevPki(dir: string): Promise<boolean> {
  const files = devPkiFiles(dir);
  const present = await Promise.all(
    ROLE_NAMES.flatMap((r) => [files[r].certificate, files[r].privateKey]).map((path) =>
      access(path).then(
        () => true,
        () => false,
      ),
    ),
  );
  return present.every(Boolean);
}

/**
 * Reads the PKI back, checking that each key is its certificate's and that
 * the server and client certificates were signed by the authority.
 */
export async function loadDevPki(dir: string): Promise<DevPki> {
  const root = resolve(dir);
  if (!(await hasDevPki(root))) {
    throw new CryptoError(
      'KEY_DEV_PKI_NOT_FOUND',
      `no development mutual TLS PKI in ${root}; generate one first`,
    );
  }
  const files = devPkiFiles(root);
  const pki = {} as DevPki;
  for (const role of ROLE_NAMES) {
    const { certificate } = await loadPublicKey({ path: files[role].certificate });
    const privateKey = await loadPrivateKey({ path: files[role].privateKey });
    if (!certificate?.checkPrivateKey(privateKey)) {
      throw inconsistent(root, `${ROLES[role].stem}.key.pem is not the key of ${ROLES[role].stem}.crt.pem`);
    }
    pki[role] = { certificate, privateKey };
  }
  for (const role of ['server', 'client'] as const) {
    if (!pki[role].certificate.verify(pki.ca.certificate.publicKey)) {
      throw inconsistent(root, `${ROLES[role].stem}.crt.pem was not signed by ${ROLES.ca.stem}.crt.pem`);
    }
  }
  return pki;
}

const inconsistent = (root: string, why: string) =>
  new CryptoError('KEY_DEV_PKI_INCONSISTENT', `development mutual TLS PKI in ${root}: ${why}`);
