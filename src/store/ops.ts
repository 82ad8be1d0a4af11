import { type Kysely, sql } from 'kysely';
import type { IssuerSchema } from './schema.js';

const CANCELLED = 'CARDHOLDER_CANCELLED';

/**
 * The state as ops count it, in SQL: a cancel apart from failures. The whole
 * window is aggregated by the database (no row cap, nothing carried to Node),
 * and the `provisionings_created` index bounds every query to the window.
 */
const outcome = sql<string>`case when state = 'failed' and error_code = ${sql.lit(CANCELLED)} then 'cancelled' else state end`;
const day = sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`;
const settleMs = sql<number>`greatest(0, extract(epoch from (updated_at - created_at)) * 1000)`;
/** Nearest rank, as `percentile_disc` defines it: the smallest value whose cumulative share reaches p. */
const nearestRank = (p: number) =>
  sql<number>`percentile_disc(${sql.lit(p)}) within group (order by ${settleMs})`;

/**
 * The ops dashboard's reads across the issuer's tables: pushes to count, and
 * what a support agent looks a cardholder up by (all but the sealed profile,
 * which CardholderRepository opens).
 */
export class OpsRepository {
  constructor(private readonly db: Kysely<IssuerSchema>) {}

  /** Pushes created since `since` by UTC day, destination and outcome (a cancel is `cancelled`), counted. */
  pushCounts(since: Date) {
    return this.db
      .selectFrom('provisionings')
      .where('created_at', '>=', since)
      .select([day.as('day'), 'destination', outcome.as('outcome'), (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy([day, 'destination', outcome])
      .orderBy('day')
      .orderBy('destination')
      .execute();
  }

  /** Settle-time percentiles (ms) by destination of the pushes since `since` that completed or failed, cancels aside. */
  settleTimes(since: Date) {
    return this.db
      .selectFrom('provisionings')
      .where('created_at', '>=', since)
      .select([
        'destination',
        (eb) => eb.fn.countAll<string>().as('count'),
        nearestRank(0.5).as('p50'),
        nearestRank(0.9).as('p90'),
        nearestRank(0.99).as('p99'),
      ])
      .where('state', 'in', ['completed', 'failed'])
      .where((eb) => eb.or([eb('error_code', 'is', null), eb('error_code', '!=', CANCELLED)]))
      .groupBy('destination')
      .orderBy('destination')
      .execute();
  }

  /**
   * The newest failures and expiries since `since`, cancels aside; each with
   * whether MDES sent the issuer a `messageType` request about a card of it
   * while it was open (`asked`; one query, not one per row).
   */
  recentFailures(since: Date, limit: number, messageType: string) {
    return this.db
      .selectFrom('provisionings as p')
      .select([
        'p.id',
        'p.destination',
        'p.token_requestor_name',
        'p.state',
        'p.error_code',
        'p.updated_at',
        (eb) =>
          eb
            .exists(
              eb
                .selectFrom('mdes_notifications as n')
                .innerJoin('provisioning_cards as c', 'c.card_id', 'n.card_id')
                .select('n.notification_id')
                .whereRef('c.provisioning_id', '=', 'p.id')
                .where('n.message_type', '=', messageType)
                .whereRef('n.token_requestor_id', '=', 'p.token_requestor_id')
                .whereRef('n.received_at', '>=', 'p.created_at')
                .whereRef('n.received_at', '<=', 'p.updated_at'),
            )
            .as('asked'),
      ])
      .where('p.created_at', '>=', since)
      .where('p.state', 'in', ['failed', 'expired'])
      .where((eb) => eb.or([eb('p.error_code', 'is', null), eb('p.error_code', '!=', CANCELLED)]))
      .orderBy('p.created_at', 'desc')
      .limit(limit)
      .execute();
  }

  /** The cardholders with a card ending in `lastFour`. */
  async cardholdersWithLastFour(lastFour: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('cards')
      .select('cardholder_id')
      .distinct()
      .where('last_four', '=', lastFour)
      .execute();
    return rows.map((r) => r.cardholder_id);
  }

  /** The cardholders signing in as `username`. */
  async cardholdersWithUsername(username: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('auth_passwords')
      .select('cardholder_id')
      .where('username', '=', username)
      .execute();
    return rows.map((r) => r.cardholder_id);
  }

  /** The newest cardholders' ids, at most `limit`. */
  async newestCardholders(limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('cardholders')
      .select('id')
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  async cardholderExists(cardholderId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('cardholders')
      .select('id')
      .where('id', '=', cardholderId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async usernamesOf(cardholderId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('auth_passwords')
      .select('username')
      .where('cardholder_id', '=', cardholderId)
      .execute();
    return rows.map((r) => r.username);
  }

  /** The cardholder's cards as ops list them, oldest first. */
  cardsOf(cardholderId: string): Promise<{ id: string; last_four: string; status: string }[]> {
    return this.db
      .selectFrom('cards')
      .select(['id', 'last_four', 'status'])
      .where('cardholder_id', '=', cardholderId)
      .orderBy('created_at')
      .execute();
  }
}
