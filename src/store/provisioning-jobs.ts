import { type Kysely, sql } from 'kysely';
import { type Lease, LeasedTable } from '../core/jobs/lease.js';
import type { IssuerSchema } from './schema.js';

/** A batch of pushes claimed by this instance's job, under one lease. */
export interface ClaimedPushes {
  lease: Lease;
  ids: string[];
}

/**
 * The push jobs' claims (src/core/jobs/lease.ts): reconciliation takes
 * pushes left `pending`, expiry takes pushes whose receipts ran out. Each
 * claimed push is one instance's until it is released or its lease ends.
 */
export class ProvisioningJobRepository {
  readonly #rows: LeasedTable<{ id: string }>;

  constructor(db: Kysely<IssuerSchema>, leaseMs: number) {
    this.#rows = new LeasedTable(db as unknown as Kysely<unknown>, {
      table: 'provisionings',
      key: 'id',
      leaseMs,
    });
  }

  /** Pushes still `pending` whose last change is older than `changedBefore`, oldest first. */
  async claimPending(changedBefore: Date, now: Date, limit: number): Promise<ClaimedPushes> {
    return this.#claim(
      now,
      limit,
      sql`t.state = 'pending' and t.updated_at < ${changedBefore}`,
      sql`t.updated_at`,
    );
  }

  /** Pushes still waiting for the token requestor whose receipts ran out by `now`. */
  async claimExpired(now: Date, limit: number): Promise<ClaimedPushes> {
    return this.#claim(
      now,
      limit,
      sql`t.state = 'receipt_issued' and t.receipts_expire_at <= ${now}`,
      sql`t.receipts_expire_at`,
    );
  }

  /** Ends this instance's claim on a push (nothing if the claim was lost); not due again before `retryAt`. */
  release(id: string, lease: Lease, retryAt?: Date): Promise<boolean> {
    return this.#rows.settle(id, lease, {}, retryAt ? { retryAt } : {});
  }

  async #claim(now: Date, limit: number, due: ReturnType<typeof sql>, order: ReturnType<typeof sql>) {
    const { lease, rows } = await this.#rows.claim({ now, due, order, limit });
    return { lease, ids: rows.map((r) => r.id) };
  }
}
