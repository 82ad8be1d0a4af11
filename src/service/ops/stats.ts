import { type Kysely, sql } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { ValidationError } from '../../core/errors.js';
import type { IssuerSchema } from '../../store/schema.js';
import { AUTHORIZE_SERVICE } from '../mdes/authorize.js';

/**
 * What the ops dashboard shows of provisioning, read-only: the funnel (how
 * many pushes reached each state, per destination and per day), the recent
 * failures with their codes, and how long pushes took to settle. A push the
 * cardholder cancelled at the token requestor is the cardholder's choice,
 * not a failure: it is counted as `cancelled`, is not among the failures, and
 * its time (a person deciding) is not in the settle-time percentiles.
 */
export interface ProvisioningStats {
  since: string;
  /** Counts by UTC day, destination and state, oldest day first. */
  funnel: { day: string; destination: string; states: Record<string, number> }[];
  totals: { destination: string; states: Record<string, number> }[];
  failures: {
    id: string;
    destination: string;
    tokenRequestor: string;
    state: string;
    errorCode: string | null;
    /**
     * For a tokenization the token requestor reports declined: `issuer` when
     * the bank's Authorize Service decided it, `mastercard` when MDES declined
     * without asking the bank (its stand-in while the bank did not answer, or
     * its own rules): the bank heard nothing of that tokenization.
     */
    declinedBy?: 'issuer' | 'mastercard';
    at: string;
  }[];
  /** created → updated of settled pushes (completed or failed), in milliseconds. */
  latency: { destination: string; count: number; p50: number; p90: number; p99: number }[];
}

const CANCELLED = 'CARDHOLDER_CANCELLED';
const RECENT_FAILURES = 20;

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

export class OpsStats {
  constructor(
    private readonly db: Kysely<IssuerSchema>,
    private readonly clock: Clock,
  ) {}

  async provisioning(days = 7): Promise<ProvisioningStats> {
    if (!Number.isInteger(days) || days < 1 || days > 90)
      throw new ValidationError('DAYS_INVALID', 'days must be a whole number from 1 to 90');
    const since = new Date(this.clock.now().getTime() - days * 86_400_000);
    const window = this.db.selectFrom('provisionings').where('created_at', '>=', since);
    const [counts, failures, latency] = await Promise.all([
      window
        .select([
          day.as('day'),
          'destination',
          outcome.as('outcome'),
          (eb) => eb.fn.countAll<string>().as('n'),
        ])
        .groupBy([day, 'destination', outcome])
        .orderBy('day')
        .orderBy('destination')
        .execute(),
      this.#recentFailures(since),
      window
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
        .execute(),
    ]);

    const funnel = new Map<string, { day: string; destination: string; states: Record<string, number> }>();
    const totals = new Map<string, Record<string, number>>();
    for (const row of counts) {
      const n = Number(row.n);
      const key = `${row.day} ${row.destination}`;
      const bucket = funnel.get(key) ?? { day: row.day, destination: row.destination, states: {} };
      bucket.states[row.outcome] = n;
      funnel.set(key, bucket);
      const total = totals.get(row.destination) ?? {};
      total[row.outcome] = (total[row.outcome] ?? 0) + n;
      totals.set(row.destination, total);
    }
    return {
      since: since.toISOString(),
      funnel: [...funnel.values()],
      totals: [...totals].map(([destination, states]) => ({ destination, states })),
      failures,
      latency: latency.map((row) => ({
        destination: row.destination,
        count: Number(row.count),
        p50: Math.round(Number(row.p50)),
        p90: Math.round(Number(row.p90)),
        p99: Math.round(Number(row.p99)),
      })),
    };
  }

  /**
   * The newest failures and expiries; for a declined tokenization, whether the
   * bank was asked about it while the push was open (one query, not one per row).
   */
  async #recentFailures(since: Date): Promise<ProvisioningStats['failures']> {
    const rows = await this.db
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
                .where('n.message_type', '=', AUTHORIZE_SERVICE)
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
      .limit(RECENT_FAILURES)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      destination: r.destination,
      tokenRequestor: r.token_requestor_name,
      state: r.state,
      errorCode: r.error_code,
      ...(r.error_code === 'TOKENIZATION_DECLINED' && {
        declinedBy: r.asked ? ('issuer' as const) : ('mastercard' as const),
      }),
      at: new Date(r.updated_at).toISOString(),
    }));
  }
}
