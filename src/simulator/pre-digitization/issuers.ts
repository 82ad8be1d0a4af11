import { createPublicKey, X509Certificate } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { DecryptionKey } from '../../mastercard/encryption/envelope-decrypter.js';
import {
  PreDigitizationCaller,
  type PreDigitizationFailure,
  type PreDigitizationTls,
} from '../../mastercard/pre-digitization/caller.js';
import type { FaultInjector } from '../faults/injector.js';
import { withFaults } from '../faults/outgoing.js';
import type { PreDigitizationSchema } from './tables.js';

/** The operations MDES calls on an issuer. */
export type IssuerCalls = Pick<
  PreDigitizationCaller,
  | 'authorizeService'
  | 'requestActivationMethods'
  | 'deliverActivationCode'
  | 'notifyServiceActivated'
  | 'notifyTokenUpdated'
  | 'validateActivationCode'
  | 'notifySuspiciousEvents'
>;

export interface IssuerServicesOptions {
  db: Kysely<unknown>;
  clock: Clock;
  /** MDES's mutual TLS client identity; without it no issuer can be reached. */
  tls: PreDigitizationTls | undefined;
  /** Mastercard's encryption key(s), which open the issuer's AuthorizeService answer payloads. */
  mastercardKeys: readonly DecryptionKey[];
  /** How long an issuer has to answer one call; default 5 s. */
  timeoutMs?: number;
  /** Faults injected into the calls (tests, drills). */
  faults?: FaultInjector;
}

/**
 * The issuers' Pre-Digitization web services as MDES reaches them: one
 * caller (a keep-alive connection pool) per issuer and registered endpoint,
 * made again when the issuer registers another URL or key.
 */
export class IssuerServices {
  readonly #db: Kysely<PreDigitizationSchema>;
  readonly #options: IssuerServicesOptions;
  readonly #callers = new Map<string, { fingerprint: string; caller: PreDigitizationCaller }>();

  constructor(options: IssuerServicesOptions) {
    this.#db = options.db as Kysely<PreDigitizationSchema>;
    this.#options = options;
  }

  /** The issuer's services; undefined when it registered none (MDES then decides for it and sends it nothing). */
  async of(issuerConsumerKey: string): Promise<IssuerCalls | undefined> {
    const row = await this.#db
      .selectFrom('mc_clients')
      .select(['pre_digitization_url', 'encryption_public_key_pem', 'encryption_certificate_pem'])
      .where('consumer_key', '=', issuerConsumerKey)
      .where('role', '=', 'issuer')
      .executeTakeFirst();
    const url = row?.pre_digitization_url;
    // A certificate is named by its own fingerprint (MDES's presets); a bare key by the key's.
    const keyPem = row?.encryption_certificate_pem ?? row?.encryption_public_key_pem;
    if (!url || !keyPem) return undefined;
    const calls = this.#options.tls
      ? this.#caller(issuerConsumerKey, url, keyPem, this.#options.tls)
      : unreachable;
    return this.#options.faults ? withFaults(calls, this.#options.faults) : calls;
  }

  /** Closes every kept-alive connection. */
  close(): void {
    for (const { caller } of this.#callers.values()) caller.close();
    this.#callers.clear();
  }

  #caller(consumerKey: string, url: string, keyPem: string, tls: PreDigitizationTls): PreDigitizationCaller {
    const fingerprint = `${url}\n${keyPem}`;
    const known = this.#callers.get(consumerKey);
    if (known?.fingerprint === fingerprint) return known.caller;
    known?.caller.close();
    const caller = new PreDigitizationCaller({
      baseUrl: url,
      tls,
      issuerEncryptionKey: keyPem.includes('BEGIN CERTIFICATE')
        ? new X509Certificate(keyPem)
        : createPublicKey(keyPem),
      mastercardDecryptionKeys: this.#options.mastercardKeys,
      clock: this.#options.clock,
      ...(this.#options.timeoutMs !== undefined && { timeoutMs: this.#options.timeoutMs }),
    });
    this.#callers.set(consumerKey, { fingerprint, caller });
    return caller;
  }
}

/** MDES without a client certificate reaches no issuer: every call fails as a refused handshake would. */
const noCertificate = async (): Promise<{ ok: false; failure: PreDigitizationFailure }> => ({
  ok: false,
  failure: { kind: 'network', code: 'MDES_NO_CLIENT_CERTIFICATE' },
});
const unreachable: IssuerCalls = {
  authorizeService: noCertificate,
  requestActivationMethods: noCertificate,
  deliverActivationCode: noCertificate,
  notifyServiceActivated: noCertificate,
  notifyTokenUpdated: noCertificate,
  validateActivationCode: noCertificate,
  notifySuspiciousEvents: noCertificate,
};
