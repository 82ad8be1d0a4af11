import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { newId } from '../../core/ids.js';
import { type Lease, LeasedTable } from '../../core/jobs/lease.js';
import type { IssuerSchema, TokenFollowUpKind, TokenFollowUpsTable } from '../schema.js';

export interface TokenFollowUp {
  id: string;
  cardId: string;
  kind: TokenFollowUpKind;
  /** The new card's, for `replaced`. */
  account: { accountPanSuffix?: string; accountExpiry?: string };
  state: TokenFollowUpsTable['state'];
  attempts: number;
  lastError: string | null;
  /** When the job takes it next (pending). */
  nextAttemptAt: Date;
  /** Who asked for it (an ops user `ops:<key id>`, `cli`, `seed`); undefined for older rows. */
  requestedBy: string | undefined;
  /** The card's tokens MDES has taken the change for, and those still outstanding (once first attempted). */
  tokens?: { done: number; outstanding: number };
  createdAt: Date;
  updatedAt: Date;
}

type Db = Kysely<IssuerSchema> | Transaction<IssuerSchema>;

const toFollowUp = (row: Selectable<TokenFollowUpsTable>): TokenFollowUp => ({
  id: row.id,
  cardId: row.card_id,
  kind: row.kind,
  account: {
    ...(row.account_pan_suffix !== null && { accountPanSuffix: row.account_pan_suffix }),
    ...(row.account_expiry !== null && { accountExpiry: row.account_expiry }),
  },
  state: row.state,
  attempts: row.attempts,
  lastError: row.last_error,
  nextAttemptAt: row.next_attempt_at,
  requestedBy: row.requested_by ?? undefined,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** The `token_follow_ups` table: card changes still to reach MDES, worked on by a job. */
export class TokenFollowUpRepository {
  readonly #leased: LeasedTable<Selectable<TokenFollowUpsTable>>;

  constructor(
    readonly db: Kysely<IssuerSchema>,
    /** How long a claimed follow-up is left to its worker: one call per token of a card (10 s per request). */
    leaseMs = 120_000,
  ) {
    this.#leased = new LeasedTable(db as unknown as Kysely<unknown>, {
      table: 'token_follow_ups',
      key: 'id',
      leaseMs,
    });
  }

  async add(
    followUp: Pick<TokenFollowUp, 'cardId' | 'kind' | 'account'> & { requestedBy?: string },
    now: Date,
    tx: Db = this.db,
  ): Promise<string> {
    const id = newId('tfu');
    await tx
      .insertInto('token_follow_ups')
      .values({
        id,
        card_id: followUp.cardId,
        kind: followUp.kind,
        account_pan_suffix: followUp.account.accountPanSuffix ?? null,
        account_expiry: followUp.account.accountExpiry ?? null,
        state: 'pending',
        attempts: 0,
        next_attempt_at: now,
        last_error: null,
        created_at: now,
        updated_at: now,
        requested_by: followUp.requestedBy ?? null,
      })
      .execute();
    return id;
  }

  /**
   * Claims a batch of due follow-ups for this instance, counting an attempt
   * of each: no other instance takes them until they are settled or the
   * lease ends (an instance that dies with them only delays them). Follow-ups
   * of one card go in order: one is due only once every earlier one is done,
   * so a batch holds at most one per card.
   */
  async claim(now: Date, limit: number): Promise<{ lease: Lease; followUps: TokenFollowUp[] }> {
    const { lease, rows } = await this.#leased.claim({
      now,
      due: sql`t.state = 'pending' and t.next_attempt_at <= ${now} and not exists (
        select 1 from token_follow_ups as e
        where e.card_id = t.card_id and e.state = 'pending' and e.seq < t.seq)`,
      order: sql`t.seq`,
      limit,
      also: sql`attempts = attempts + 1, updated_at = ${now}`,
    });
    return { lease, followUps: rows.map(toFollowUp) };
  }

  /** Writes a claimed follow-up's outcome; false (nothing written) when the claim was lost to another instance. */
  async settle(
    id: string,
    lease: Lease,
    outcome:
      | { state: 'done' }
      | { state: 'pending'; retryAt: Date; error: string }
      | { state: 'failed'; error: string },
    now: Date,
  ): Promise<boolean> {
    return this.#leased.settle(id, lease, {
      state: outcome.state,
      updated_at: now,
      last_error: outcome.state === 'done' ? null : outcome.error,
      ...(outcome.state === 'pending' && { next_attempt_at: outcome.retryAt }),
    });
  }

  /** Ops: the follow-ups not done yet (pending or failed), newest first. */
  async unfinished(limit: number): Promise<TokenFollowUp[]> {
    const rows = await this.db
      .selectFrom('token_follow_ups')
      .selectAll()
      .where('state', 'in', ['pending', 'failed'])
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
    const progress = await this.tokenProgress(rows.map((row) => row.id));
    return rows.map((row) => {
      const tokens = progress.get(row.id);
      return { ...toFollowUp(row), ...(tokens && { tokens }) };
    });
  }

  /**
   * Ops: a failed follow-up queued again, from its first attempt, unless a
   * later change of the same card was queued after it (taking the older one
   * now would undo the newer, say suspend the tokens of a card since
   * unblocked). Resolves the follow-up as it now is, or why not.
   */
  async retry(
    id: string,
    now: Date,
    requestedBy?: string,
  ): Promise<TokenFollowUp | 'not_found' | 'not_failed' | 'superseded'> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('token_follow_ups')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!row) return 'not_found';
      if (row.state !== 'failed') return 'not_failed';
      const later = await tx
        .selectFrom('token_follow_ups')
        .select('id')
        .where('card_id', '=', row.card_id)
        .where('seq', '>', row.seq)
        .executeTakeFirst();
      if (later) return 'superseded';
      const updated = await tx
        .updateTable('token_follow_ups')
        .set({
          state: 'pending',
          attempts: 0,
          next_attempt_at: now,
          updated_at: now,
          ...(requestedBy !== undefined && { requested_by: requestedBy }),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toFollowUp(updated);
    });
  }

  /**
   * The tokens a follow-up is still to reach MDES for: on its first attempt
   * the card's live tokens (not deleted), recorded; afterwards those whose
   * change MDES has not taken yet.
   */
  async outstandingTokens(followUp: Pick<TokenFollowUp, 'id' | 'cardId'>, now: Date): Promise<string[]> {
    return this.db.transaction().execute(async (tx) => {
      const known = await tx
        .selectFrom('token_follow_up_tokens as f')
        .innerJoin('tokens as t', 't.id', 'f.token_id')
        .select(['f.token_id', 'f.state'])
        .where('f.follow_up_id', '=', followUp.id)
        .orderBy('t.created_at')
        .orderBy('t.id')
        .execute();
      if (known.length === 0) {
        const live = await tx
          .selectFrom('tokens')
          .select('id')
          .where('card_id', '=', followUp.cardId)
          .where('status', '!=', 'DELETED')
          .orderBy('created_at')
          .orderBy('id')
          .execute();
        if (live.length === 0) return [];
        await tx
          .insertInto('token_follow_up_tokens')
          .values(
            live.map(({ id }) => ({
              follow_up_id: followUp.id,
              token_id: id,
              state: 'pending' as const,
              attempts: 0,
              last_error: null,
              updated_at: now,
            })),
          )
          .onConflict((oc) => oc.columns(['follow_up_id', 'token_id']).doNothing())
          .execute();
        return live.map(({ id }) => id);
      }
      return known.filter((t) => t.state === 'pending').map((t) => t.token_id);
    });
  }

  /** One token's outcome: MDES took the change, or it failed with `error` and stays outstanding. */
  async tokenSettled(
    followUpId: string,
    tokenId: string,
    error: string | undefined,
    now: Date,
  ): Promise<void> {
    await this.db
      .updateTable('token_follow_up_tokens')
      .set((eb) => ({
        state: error === undefined ? 'done' : 'pending',
        attempts: eb('attempts', '+', 1),
        last_error: error ?? null,
        updated_at: now,
      }))
      .where('follow_up_id', '=', followUpId)
      .where('token_id', '=', tokenId)
      .execute();
  }

  /** Ops: how many of a follow-up's tokens MDES has taken, and how many are outstanding. */
  async tokenProgress(
    followUpIds: readonly string[],
  ): Promise<Map<string, { done: number; outstanding: number }>> {
    const progress = new Map<string, { done: number; outstanding: number }>();
    if (followUpIds.length === 0) return progress;
    const rows = await this.db
      .selectFrom('token_follow_up_tokens')
      .select(['follow_up_id', 'state'])
      .where('follow_up_id', 'in', [...followUpIds])
      .execute();
    for (const row of rows) {
      const entry = progress.get(row.follow_up_id) ?? { done: 0, outstanding: 0 };
      if (row.state === 'done') entry.done++;
      else entry.outstanding++;
      progress.set(row.follow_up_id, entry);
    }
    return progress;
  }

  async ofCard(cardId: string): Promise<TokenFollowUp[]> {
    const rows = await this.db
      .selectFrom('token_follow_ups')
      .selectAll()
      .where('card_id', '=', cardId)
      .orderBy('seq')
      .execute();
    return rows.map(toFollowUp);
  }
}
