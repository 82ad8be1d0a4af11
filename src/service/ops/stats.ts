import type { Clock } from '../../core/clock.js';
import { ValidationError } from '../../core/errors.js';
import { OpsRepository } from '../../store/ops.js';
import type { IssuerDb } from '../../store/store.js';
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

const RECENT_FAILURES = 20;

export class OpsStats {
  readonly #reads: OpsRepository;

  constructor(
    db: IssuerDb,
    private readonly clock: Clock,
  ) {
    this.#reads = new OpsRepository(db);
  }

  async provisioning(days = 7): Promise<ProvisioningStats> {
    if (!Number.isInteger(days) || days < 1 || days > 90)
      throw new ValidationError('DAYS_INVALID', 'days must be a whole number from 1 to 90');
    const since = new Date(this.clock.now().getTime() - days * 86_400_000);
    const [counts, failures, latency] = await Promise.all([
      this.#reads.pushCounts(since),
      this.#recentFailures(since),
      this.#reads.settleTimes(since),
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
    const rows = await this.#reads.recentFailures(since, RECENT_FAILURES, AUTHORIZE_SERVICE);
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
