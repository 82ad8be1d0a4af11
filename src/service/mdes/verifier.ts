import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { DatabaseNonceStore } from '../../mastercard/oauth/database-nonce-store.js';
import { OAuthVerifier } from '../../mastercard/oauth/verifier.js';

export interface MdesVerifierOptions {
  db: Kysely<unknown>;
  clock: Clock;
  /** Mastercard's public keys by the consumer key it signs notifications under. */
  keys: Readonly<Record<string, KeyObject>>;
  /** How far oauth_timestamp may be from the issuer's time; default 300 s. */
  windowSeconds?: number;
}

/**
 * Checks that a notification was signed by Mastercard (OAuth 1.0a,
 * RSA-SHA256 with the body hash, a fresh nonce kept in the issuer's
 * database), as Mastercard's gateway checks the issuer's own requests.
 */
export function mdesNotificationVerifier(options: MdesVerifierOptions): OAuthVerifier {
  const keys = new Map(Object.entries(options.keys));
  return new OAuthVerifier({
    resolveKey: (consumerKey) => keys.get(consumerKey),
    nonces: new DatabaseNonceStore(options.db, 'mdes_oauth_nonces', options.clock),
    clock: options.clock,
    ...(options.windowSeconds === undefined ? {} : { windowSeconds: options.windowSeconds }),
  });
}
