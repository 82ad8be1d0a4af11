import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { NonceStore } from '../../mastercard/oauth/nonce-store.js';
import type { IssuerSchema } from '../schema.js';

const PURGE_EVERY_MS = 60_000;

/**
 * The nonces of MDES's signed notifications, in `mdes_oauth_nonces`, so a
 * replayed notification is refused after a restart and by every issuer
 * process sharing the database. One statement decides: a new pair is
 * inserted, an expired one is taken over, a live one is a replay.
 */
export class MdesNonceStore implements NonceStore {
  #lastPurge = 0;

  constructor(
    private readonly db: Kysely<IssuerSchema>,
    private readonly clock: Clock,
  ) {}

  async remember(consumerKey: string, nonce: string, expiresAt: Date): Promise<boolean> {
    const now = this.clock.now();
    await this.#purge(now);
    const row = await this.db
      .insertInto('mdes_oauth_nonces')
      .values({ consumer_key: consumerKey, nonce, expires_at: expiresAt })
      .onConflict((oc) =>
        oc
          .columns(['consumer_key', 'nonce'])
          .doUpdateSet({ expires_at: expiresAt })
          .where('mdes_oauth_nonces.expires_at', '<=', now),
      )
      .returning('nonce')
      .executeTakeFirst();
    return row !== undefined;
  }

  // Expired pairs can never match again.
  async #purge(now: Date): Promise<void> {
    if (now.getTime() - this.#lastPurge < PURGE_EVERY_MS) return;
    this.#lastPurge = now.getTime();
    await this.db.deleteFrom('mdes_oauth_nonces').where('expires_at', '<=', now).execute();
  }
}
