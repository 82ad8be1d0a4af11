import type { Clock } from '../../core/clock.js';
import { ValidationError } from '../../core/errors.js';
import { OpsReads, type PushSummary } from '../../store/ops.js';
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

const SETTLED = new Set(['completed', 'failed']);
const CANCELLED = 'CARDHOLDER_CANCELLED';
/** The state as ops count it: a cancel apart from failures. */
const outcomeOf = (row: { state: string; error_code: string | null }): string =>
  row.state === 'failed' && row.error_code === CANCELLED ? 'cancelled' : row.state;
const FAILED = ['failed', 'expired'];
// Enough for a dashboard; beyond this the newest rows are the ones that matter.
const ROW_LIMIT = 10_000;
const RECENT_FAILURES = 20;

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? 0;
}

export class OpsStats {
  readonly #reads: OpsReads;

  constructor(
    db: IssuerDb,
    private readonly clock: Clock,
  ) {
    this.#reads = new OpsReads(db);
  }

  async provisioning(days = 7): Promise<ProvisioningStats> {
    if (!Number.isInteger(days) || days < 1 || days > 90)
      throw new ValidationError('DAYS_INVALID', 'days must be a whole number from 1 to 90');
    const since = new Date(this.clock.now().getTime() - days * 86_400_000);
    const rows = await this.#reads.pushesSince(since, ROW_LIMIT);

    const funnel = new Map<string, { day: string; destination: string; states: Record<string, number> }>();
    const totals = new Map<string, Record<string, number>>();
    const durations = new Map<string, number[]>();
    for (const row of rows) {
      const created = new Date(row.created_at);
      const day = created.toISOString().slice(0, 10);
      const key = `${day} ${row.destination}`;
      const outcome = outcomeOf(row);
      const bucket = funnel.get(key) ?? { day, destination: row.destination, states: {} };
      bucket.states[outcome] = (bucket.states[outcome] ?? 0) + 1;
      funnel.set(key, bucket);
      const total = totals.get(row.destination) ?? {};
      total[outcome] = (total[outcome] ?? 0) + 1;
      totals.set(row.destination, total);
      if (SETTLED.has(outcome)) {
        const list = durations.get(row.destination) ?? [];
        list.push(Math.max(0, new Date(row.updated_at).getTime() - created.getTime()));
        durations.set(row.destination, list);
      }
    }
    return {
      since: since.toISOString(),
      funnel: [...funnel.values()].sort(
        (a, b) => a.day.localeCompare(b.day) || a.destination.localeCompare(b.destination),
      ),
      totals: [...totals].map(([destination, states]) => ({ destination, states })),
      failures: await Promise.all(
        rows
          .filter((r) => FAILED.includes(outcomeOf(r)))
          .slice(0, RECENT_FAILURES)
          .map(async (r) => ({
            id: r.id,
            destination: r.destination,
            tokenRequestor: r.token_requestor_name,
            state: r.state,
            errorCode: r.error_code,
            ...(r.error_code === 'TOKENIZATION_DECLINED' && { declinedBy: await this.#declinedBy(r) }),
            at: new Date(r.updated_at).toISOString(),
          })),
      ),
      latency: [...durations].map(([destination, list]) => {
        const sorted = list.sort((a, b) => a - b);
        return {
          destination,
          count: sorted.length,
          p50: percentile(sorted, 50),
          p90: percentile(sorted, 90),
          p99: percentile(sorted, 99),
        };
      }),
    };
  }

  /** Whether the bank was asked about a declined push's tokenization while the push was open. */
  async #declinedBy(push: PushSummary): Promise<'issuer' | 'mastercard'> {
    return (await this.#reads.askedDuring(push, AUTHORIZE_SERVICE)) ? 'issuer' : 'mastercard';
  }
}
