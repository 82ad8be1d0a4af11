import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Kysely, type QueryExecutorProvider, type RawBuilder, sql } from 'kysely';

/**
 * Exactly-once background work for any number of instances on one
 * database, the same way for every job: the rows a job works on carry
 * `claimed_by` (the claim's token) and `lease_until`. A worker claims a batch
 * of due rows in one statement (`FOR UPDATE SKIP LOCKED`, so concurrent
 * claimers take different rows and never wait for each other), works on them
 * outside any transaction, and settles each with a compare-and-set on its
 * token: once the lease has run out and another instance has taken the row
 * over, the late settle matches nothing and changes nothing. A row whose
 * lease ran out (its instance died) is due again. `lease_until` set with no
 * claim holds a row back until then (a retry time).
 *
 * Both engines run it: PGlite is PostgreSQL, single-connection, so there
 * the locks are never contended but the statements are the same.
 */
export interface Lease {
  /** Unique per claim: which instance took it, and which claim it is. */
  token: string;
  until: Date;
}

/** The instance's name in claim tokens: host, process, and a nonce against a reused pid. */
const INSTANCE_ID = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

export interface LeasedTableOptions {
  table: string;
  /** The primary key column. */
  key: string;
  /** How long a claim is left to its worker: longer than the work of a row ever takes. */
  leaseMs: number;
}

export interface ClaimOptions {
  now: Date;
  /** What makes a row due, on top of having no live lease; columns as `t.<column>`. */
  due: RawBuilder<unknown>;
  /** The order rows are taken in; columns as `t.<column>`. */
  order?: RawBuilder<unknown>;
  limit: number;
  /** More assignments made by the claim (an attempt counter, say). */
  also?: RawBuilder<unknown>;
}

const assignments = (set: Record<string, unknown>): RawBuilder<unknown>[] =>
  Object.entries(set).map(([column, value]) => sql`${sql.ref(column)} = ${value}`);

/** The claims and settles on one table's rows. */
export class LeasedTable<Row> {
  readonly #db: Kysely<unknown>;
  readonly #options: LeasedTableOptions;

  constructor(db: Kysely<unknown>, options: LeasedTableOptions) {
    this.#db = db;
    this.#options = options;
  }

  /** Claims up to `limit` due rows for this instance; resolves the claim and the rows as they now are. */
  async claim(options: ClaimOptions): Promise<{ lease: Lease; rows: Row[] }> {
    const { table, key, leaseMs } = this.#options;
    const lease = {
      token: `${INSTANCE_ID}:${randomUUID()}`,
      until: new Date(options.now.getTime() + leaseMs),
    };
    const { rows } = await sql<Row>`update ${sql.table(table)}
      set claimed_by = ${lease.token}, lease_until = ${lease.until}${options.also ? sql`, ${options.also}` : sql``}
      where ${sql.ref(key)} in (
        select t.${sql.ref(key)} from ${sql.table(table)} as t
        where (t.lease_until is null or t.lease_until <= ${options.now}) and (${options.due})
        order by ${options.order ?? sql`t.${sql.ref(key)}`}
        limit ${options.limit}
        for update of t skip locked)
      returning *`.execute(this.#db);
    return { lease, rows };
  }

  /**
   * Writes a claimed row's outcome and ends the claim, only if the claim is
   * still `lease`'s: false when the lease ran out and another instance took
   * the row (nothing is written then). `retryAt` keeps the row from being
   * due again before then. Pass a transaction to settle together with other
   * changes (they roll back with it when the claim was lost).
   */
  async settle(
    id: string,
    lease: Lease,
    set: Record<string, unknown> = {},
    options: { retryAt?: Date; executor?: QueryExecutorProvider } = {},
  ): Promise<boolean> {
    const { table, key } = this.#options;
    const result = await sql`update ${sql.table(table)}
      set ${sql.join([...assignments({ ...set, claimed_by: null, lease_until: options.retryAt ?? null })])}
      where ${sql.ref(key)} = ${id} and claimed_by = ${lease.token}`.execute(options.executor ?? this.#db);
    return (result.numAffectedRows ?? 0n) > 0n;
  }
}

/**
 * A job that runs once per period across all instances (a purge, say): its
 * turn is a row of `job_schedule`, claimed like any other, so whichever
 * instance claims it first runs it and the others skip the period.
 */
export class Schedule {
  readonly #table: LeasedTable<{ name: string }>;
  readonly #db: Kysely<unknown>;

  constructor(db: Kysely<unknown>, leaseMs: number) {
    this.#db = db;
    this.#table = new LeasedTable(db, { table: 'job_schedule', key: 'name', leaseMs });
  }

  /**
   * Runs `work` if the job's turn has come and no other instance holds it;
   * the next turn is `everyMs` after this one. Resolves whether it ran.
   */
  async runIfDue(name: string, everyMs: number, now: Date, work: () => Promise<void>): Promise<boolean> {
    await sql`insert into job_schedule (name, next_run_at) values (${name}, ${now})
      on conflict (name) do nothing`.execute(this.#db);
    const { lease, rows } = await this.#table.claim({
      now,
      due: sql`t.name = ${name} and t.next_run_at <= ${now}`,
      limit: 1,
    });
    if (rows.length === 0) return false;
    try {
      await work();
    } finally {
      await this.#table.settle(name, lease, { next_run_at: new Date(now.getTime() + everyMs) });
    }
    return true;
  }
}
