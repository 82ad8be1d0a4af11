import { type Kysely, sql } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { NonceStore } from './nonce-store.js';

const PURGE_EVERY_MS = 60_000;

/**
 * Nonces in a database table (`consumer_key`, `nonce`, `expires_at`, unique
 * on the first two), so a replayed request is refused after a restart and by
 * every process sharing the database. One statement decides: a new pair is
 * inserted, an expired one is taken over, a live one is a replay.
 * Mastercard's gateway (the simulator) and the issuer's MDES endpoint each
 * keep such a table.
 */
export class DatabaseNonceStore<DB> implements NonceStore {
  #lastPurge = 0;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly table: string,
    private readonly clock: Clock,
  ) {}

  async remember(consumerKey: string, nonce: string, expiresAt: Date): Promise<boolean> {
    const now = this.clock.now();
    await this.#purge(now);
    const table = sql.table(this.table);
    const { rows } = await sql<{ nonce: string }>`
      insert into ${table} (consumer_key, nonce, expires_at) values (${consumerKey}, ${nonce}, ${expiresAt})
      on conflict (consumer_key, nonce) do update set expires_at = excluded.expires_at
      where ${table}.expires_at <= ${now}
      returning nonce`.execute(this.db);
    return rows.length > 0;
  }

  // Expired pairs can never match again; they are only dead weight.
  async #purge(now: Date): Promise<void> {
    if (now.getTime() - this.#lastPurge < PURGE_EVERY_MS) return;
    this.#lastPurge = now.getTime();
    await sql`delete from ${sql.table(this.table)} where expires_at <= ${now}`.execute(this.db);
  }
}
