import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Clock, systemClock } from '../../core/clock.js';
import { ValidationError } from '../../core/errors.js';
import type { ClientRole, GatewaySchema, McClientsTable } from './tables.js';

/**
 * The API clients Mastercard's gateway knows: a consumer key, the public key
 * its requests are signed with, and what it may do. On Mastercard Developers
 * a project is created and its certificate uploaded; here the CLI registers
 * the development issuer and merchant keys at start-up.
 */
export interface ClientRegistration {
  consumerKey: string;
  role: ClientRole;
  /** Required for a token requestor: the 11-digit TRID it acts as. */
  tokenRequestorId?: string;
  /** The client's RSA signing key: its public half, or a PEM of it (a private key is reduced to its public half). */
  publicKey: KeyObject | string;
  /**
   * The RSA key MDES encrypts to for this client: a token requestor's token
   * details, Notify Token Updated and Transact (required of a token requestor,
   * as MDES never answers one in clear); an issuer's Pre-Digitization
   * payloads. A certificate (or its PEM) is named by its fingerprint, as
   * Mastercard's field-level encryption does; a bare key by its public key's.
   */
  encryptionPublicKey?: KeyObject | string | X509Certificate;
  displayName: string;
  /** Token requestors only: where MDES posts Notify Token Updated (http or https). */
  notificationUrl?: string;
  /**
   * Issuers only: the https base URL of its MDES Pre-Digitization web
   * services, context root included (`https://bank.example/issuerServices/1/0`),
   * as an issuer registers it with Mastercard Developers. Needs `encryptionPublicKey`.
   */
  preDigitizationUrl?: string;
}

export interface Client {
  consumerKey: string;
  role: ClientRole;
  tokenRequestorId: string | undefined;
  publicKey: KeyObject;
  encryptionPublicKey: KeyObject | undefined;
  /** The certificate the encryption key was registered with, when it was. */
  encryptionCertificate: X509Certificate | undefined;
  displayName: string;
}

/** Adds a client or updates it to match; registering the same client again changes nothing. */
export async function registerClient(
  db: Kysely<unknown>,
  registration: ClientRegistration,
  clock: Clock = systemClock,
): Promise<Client> {
  const { consumerKey, role, displayName } = registration;
  if (!/^[\x21-\x7e]{1,200}$/.test(consumerKey)) {
    throw new ValidationError('MC_CLIENT_INVALID', 'the consumer key must be 1–200 printable characters');
  }
  if (displayName.trim() === '') throw new ValidationError('MC_CLIENT_INVALID', 'the display name is empty');
  const tokenRequestorId = registration.tokenRequestorId;
  if (role === 'token_requestor' && !/^\d{11}$/.test(tokenRequestorId ?? '')) {
    throw new ValidationError(
      'MC_CLIENT_INVALID',
      'a token requestor client needs an 11-digit token requestor id',
    );
  }
  if (role === 'token_requestor' && registration.encryptionPublicKey === undefined) {
    throw new ValidationError(
      'MC_CLIENT_INVALID',
      'a token requestor client needs an encryption key: MDES encrypts what it sends a token requestor',
    );
  }
  if (role === 'issuer' && tokenRequestorId !== undefined) {
    throw new ValidationError('MC_CLIENT_INVALID', 'an issuer client has no token requestor id');
  }
  const publicKeyPem = rsaPublicPem(registration.publicKey, 'signing');
  const encryptionCertificate = certificateOf(registration.encryptionPublicKey);
  const encryptionPem =
    registration.encryptionPublicKey === undefined
      ? null
      : rsaPublicPem(encryptionCertificate?.publicKey ?? registration.encryptionPublicKey, 'encryption');
  const encryptionCertificatePem = encryptionCertificate?.toString() ?? null;
  const notificationUrl = registration.notificationUrl ?? null;
  if (
    notificationUrl !== null &&
    (role !== 'token_requestor' || !isHttpUrl(notificationUrl, ['http:', 'https:']))
  ) {
    throw new ValidationError(
      'MC_CLIENT_INVALID',
      'only a token requestor has a notification URL, an http(s) URL',
    );
  }
  const preDigitizationUrl = registration.preDigitizationUrl?.replace(/\/+$/, '') ?? null;
  if (preDigitizationUrl !== null && (role !== 'issuer' || !isHttpUrl(preDigitizationUrl, ['https:']))) {
    throw new ValidationError('MC_CLIENT_INVALID', 'only an issuer has a Pre-Digitization URL, an https URL');
  }
  if (preDigitizationUrl !== null && encryptionPem === null) {
    throw new ValidationError(
      'MC_CLIENT_INVALID',
      'an issuer with Pre-Digitization web services needs the encryption key MDES encrypts their payloads to',
    );
  }
  const now = clock.now();
  // mc_clients as migrations 0003, 0007 and 0008 leave it; the gateway itself never reads the URLs.
  const row: McClientsTable & { notification_url: string | null; pre_digitization_url: string | null } = {
    encryption_certificate_pem: encryptionCertificatePem,
    consumer_key: consumerKey,
    role,
    token_requestor_id: tokenRequestorId ?? null,
    public_key_pem: publicKeyPem,
    encryption_public_key_pem: encryptionPem,
    display_name: displayName,
    notification_url: notificationUrl,
    pre_digitization_url: preDigitizationUrl,
    created_at: now,
    updated_at: now,
  };
  const { created_at: _created, ...changes } = row;
  await (db as Kysely<{ mc_clients: typeof row }>)
    .insertInto('mc_clients')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('consumer_key')
        .doUpdateSet(changes)
        .where((eb) =>
          eb.or([
            eb('mc_clients.role', '!=', role),
            eb('mc_clients.token_requestor_id', 'is distinct from', row.token_requestor_id),
            eb('mc_clients.public_key_pem', '!=', publicKeyPem),
            eb('mc_clients.encryption_public_key_pem', 'is distinct from', encryptionPem),
            eb('mc_clients.encryption_certificate_pem', 'is distinct from', encryptionCertificatePem),
            eb('mc_clients.display_name', '!=', displayName),
            eb('mc_clients.notification_url', 'is distinct from', notificationUrl),
            eb('mc_clients.pre_digitization_url', 'is distinct from', preDigitizationUrl),
          ]),
        ),
    )
    .execute();
  return clientOf(row);
}

/**
 * Reads clients by consumer key. Keys are parsed once per distinct PEM: the
 * registry is small and a client's key changes only when it registers again.
 */
export class ClientRegistry {
  readonly #keys = new Map<string, KeyObject>();
  readonly #certificates = new Map<string, X509Certificate>();

  constructor(private readonly db: Kysely<GatewaySchema>) {}

  async find(consumerKey: string): Promise<Client | undefined> {
    const row = await this.db
      .selectFrom('mc_clients')
      .selectAll()
      .where('consumer_key', '=', consumerKey)
      .executeTakeFirst();
    return (
      row &&
      clientOf(
        row,
        (pem) => this.#key(pem),
        (pem) => this.#certificate(pem),
      )
    );
  }

  #certificate(pem: string): X509Certificate {
    let certificate = this.#certificates.get(pem);
    if (!certificate) {
      certificate = new X509Certificate(pem);
      this.#certificates.set(pem, certificate);
    }
    return certificate;
  }

  #key(pem: string): KeyObject {
    let key = this.#keys.get(pem);
    if (!key) {
      key = createPublicKey(pem);
      this.#keys.set(pem, key);
    }
    return key;
  }
}

const clientOf = (
  row: McClientsTable,
  parse: (pem: string) => KeyObject = createPublicKey,
  parseCertificate: (pem: string) => X509Certificate = (pem) => new X509Certificate(pem),
): Client => ({
  consumerKey: row.consumer_key,
  role: row.role,
  tokenRequestorId: row.token_requestor_id ?? undefined,
  publicKey: parse(row.public_key_pem),
  encryptionPublicKey:
    row.encryption_public_key_pem === null ? undefined : parse(row.encryption_public_key_pem),
  encryptionCertificate:
    row.encryption_certificate_pem === null ? undefined : parseCertificate(row.encryption_certificate_pem),
  displayName: row.display_name,
});

/** The certificate an encryption key was given as (an X509Certificate or a PEM of one), if it was. */
function certificateOf(key: KeyObject | string | X509Certificate | undefined): X509Certificate | undefined {
  if (key instanceof X509Certificate) return key;
  if (typeof key !== 'string' || !key.includes('-----BEGIN CERTIFICATE-----')) return undefined;
  try {
    return new X509Certificate(key);
  } catch (error) {
    throw new ValidationError('MC_CLIENT_INVALID', 'the encryption certificate is not readable', {
      cause: error,
    });
  }
}

function isHttpUrl(value: string, protocols: readonly string[]): boolean {
  try {
    const { protocol } = new URL(value);
    return protocols.includes(protocol) && value.length <= 2048;
  } catch {
    return false;
  }
}

function rsaPublicPem(key: KeyObject | string | X509Certificate, use: string): string {
  let publicKey: KeyObject;
  try {
    publicKey =
      key instanceof X509Certificate
        ? key.publicKey
        : typeof key !== 'string' && key.type === 'public'
          ? key
          : createPublicKey(key);
  } catch (error) {
    throw new ValidationError('MC_CLIENT_INVALID', `the ${use} key is not a readable public key`, {
      cause: error,
    });
  }
  if (publicKey.asymmetricKeyType !== 'rsa') {
    throw new ValidationError('MC_CLIENT_INVALID', `the ${use} key is not an RSA key`);
  }
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}
