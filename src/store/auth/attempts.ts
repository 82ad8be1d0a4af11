import { type Kysely, sql } from 'kysely';
import type { IssuerSchema } from '../schema.js';

/**
 * Attempt slots for guessable secrets (passwords, one-time codes). A guess
 * must claim a slot before it is evaluated, and the claim counts it as a
 * failure until a success clears the key: checking the limit and counting
 * are one statement, so however many guesses arrive at once, at most
 * `maxFailures` of them are ever evaluated. The claim that takes the last
 * slot locks the key for `lockMs` on the spot, before its guess is judged:
 * a right guess then clears the lock, a wrong one leaves it. A quiet spell
 * as long as the lock, or the end of a lock, starts the count afresh (so a
 * claim stranded by a crash is forgotten in time too).
 */
export interface AttemptPolicy {
  maxFailures: number;
  lockMs: number;
}

/**
 * The answer to a claim: `granted`, the guess may be evaluated, and
 * `lockedUntil` is set when this claim took the last slot (a wrong guess now
 * leaves the key locked); refused, the key is locked until `lockedUntil`.
 */
export type AttemptClaim =
  | { granted: true; failures: number; lockedUntil: Date | null }
  | { granted: false; lockedUntil: Date };

// A claim refused by a lock that vanished before it could be read (a
// concurrent success or expiry) is tried again; this many times at most.
const CLAIM_TRIES = 3;

export class AttemptStore {
  constructor(private readonly db: Kysely<IssuerSchema>) {}

  async lockedUntil(key: string, now: Date): Promise<Date | undefined> {
    const row = await this.db
      .selectFrom('auth_attempts')
      .select('locked_until')
      .where('key', '=', key)
      .where('locked_until', '>', now)
      .executeTakeFirst();
    return row?.locked_until ?? undefined;
  }

  /** Claims one attempt slot of `key`; see AttemptClaim. */
  async claim(key: string, now: Date, policy: AttemptPolicy): Promise<AttemptClaim> {
    const lockUntil = new Date(now.getTime() + policy.lockMs);
    for (let i = 0; i < CLAIM_TRIES; i++) {
      const row = await this.#claimSlot(key, now, lockUntil, policy);
      if (row) {
        const locking = row.locked_until !== null && row.locked_until.getTime() === lockUntil.getTime();
        return { granted: true, failures: row.failures, lockedUntil: locking ? row.locked_until : null };
      }
      const lockedUntil = await this.lockedUntil(key, now);
      if (lockedUntil) return { granted: false, lockedUntil };
    }
    // Still contended: refuse, as a lock would, rather than evaluate unchecked.
    return { granted: false, lockedUntil: lockUntil };
  }

  /**
   * One INSERT … ON CONFLICT DO UPDATE … WHERE not locked … RETURNING: the
   * row lock it takes on a conflict serialises concurrent claims of the
   * same key, and no row comes back when the key is locked.
   */
  #claimSlot(key: string, now: Date, lockUntil: Date, policy: AttemptPolicy) {
    const quietSince = new Date(now.getTime() - policy.lockMs);
    const next = sql<number>`(case when auth_attempts.updated_at < ${quietSince}::timestamptz or auth_attempts.locked_until <= ${now}::timestamptz then 1 else auth_attempts.failures + 1 end)`;
    return this.db
      .insertInto('auth_attempts')
      .values({
        key,
        failures: 1,
        locked_until: policy.maxFailures <= 1 ? lockUntil : null,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({
            failures: next,
            locked_until: sql<Date | null>`case when ${next} >= ${policy.maxFailures}::int then ${lockUntil}::timestamptz else null end`,
            updated_at: now,
          })
          .where((eb) =>
            eb.or([
              eb('auth_attempts.locked_until', 'is', null),
              eb('auth_attempts.locked_until', '<=', now),
            ]),
          ),
      )
      .returning(['failures', 'locked_until'])
      .executeTakeFirst();
  }

  /** A right guess: the count (and any lock its own claim set) is gone. */
  async clear(key: string): Promise<void> {
    await this.db.deleteFrom('auth_attempts').where('key', '=', key).execute();
  }

  /** Forgets counters nobody has touched for a day and that hold no lock. */
  async purge(now: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('auth_attempts')
      .where('updated_at', '<', new Date(now.getTime() - 24 * 60 * 60 * 1000))
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
