import { type Kysely, sql } from 'kysely';
import type { IssuerSchema } from '../schema.js';

/**
 * Failure counters for guessable secrets. After `maxFailures` failures in a
 * row (a quiet spell as long as the lock resets the count), the key is locked
 * for `lockMs`. Each failure is counted in one statement, so parallel guesses
 * cannot slip past the limit between a read and a write.
 */
export interface AttemptPolicy {
  maxFailures: number;
  lockMs: number;
}

export interface AttemptState {
  failures: number;
  lockedUntil: Date | null;
}

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

  /** Counts one failure; the returned state has `lockedUntil` set when this failure locked the key. */
  async recordFailure(key: string, now: Date, policy: AttemptPolicy): Promise<AttemptState> {
    const lockUntil = new Date(now.getTime() + policy.lockMs);
    const quietSince = new Date(now.getTime() - policy.lockMs);
    const firstLocks = policy.maxFailures <= 1;
    const next = sql<number>`(case when auth_attempts.updated_at < ${quietSince}::timestamptz then 1 else auth_attempts.failures + 1 end)`;
    const row = await this.db
      .insertInto('auth_attempts')
      .values({
        key,
        failures: firstLocks ? 0 : 1,
        locked_until: firstLocks ? lockUntil : null,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          failures: sql<number>`case when ${next} >= ${policy.maxFailures}::int then 0 else ${next} end`,
          locked_until: sql<Date | null>`case when ${next} >= ${policy.maxFailures}::int then ${lockUntil}::timestamptz else auth_attempts.locked_until end`,
          updated_at: now,
        }),
      )
      .returning(['failures', 'locked_until'])
      .executeTakeFirstOrThrow();
    const locked = row.locked_until !== null && row.locked_until.getTime() === lockUntil.getTime();
    return { failures: row.failures, lockedUntil: locked ? row.locked_until : null };
  }

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
