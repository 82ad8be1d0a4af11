import { type Kysely, type QueryCreator, type Selectable, sql } from 'kysely';
import type { CardState, DestinationKind, ProvisioningState } from '../domain/provisioning.js';
import type { PushMethodType } from '../mastercard/token-connect/types.js';
import type { IssuerSchema, ProvisioningCardsTable, ProvisioningsTable } from './schema.js';
import { IssuerRepository, type StoreTransaction } from './transaction.js';
import type { Sealer } from './vault/sealer.js';

/**
 * Provisioning records. State changes are compare-and-set on the current
 * state, so two workers (a callback and the expiry job, say) can never both
 * move the same record. Receipts and the push links (which carry them) are sealed.
 */
export interface ProvisioningCard {
  cardId: string;
  pushAccountId: string;
  state: CardState;
  /** The token MDES reported for this card: only MDES's word completes it. */
  tokenUniqueReference: string | null;
  errorCode: string | null;
  /** What the token requestor said in the callback (MDESRQ's result), and the token it named. */
  reportedResult: string | null;
  reportedTokenUniqueReference: string | null;
}

/** Where the cardholder can be sent to finish the push, by push method (MDESRQ p. 37–38). */
export type PushLinks = Partial<Record<PushMethodType, string>>;

export interface Provisioning {
  id: string;
  cardholderId: string;
  destination: DestinationKind;
  tokenRequestorId: string;
  tokenRequestorName: string;
  state: ProvisioningState;
  requestId: string;
  receiptValidityMinutes: number;
  receiptsExpireAt: Date | null;
  errorCode: string | null;
  errorMessage: string | null;
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
  cards: ProvisioningCard[];
}

export interface NewProvisioning {
  id: string;
  cardholderId: string;
  destination: DestinationKind;
  tokenRequestorId: string;
  tokenRequestorName: string;
  requestId: string;
  receiptValidityMinutes: number;
  /** Proves a callback came through this push's callback URL. */
  callbackToken: string;
  cards: { cardId: string; pushAccountId: string }[];
  now: Date;
  /** Sends to Token Connect already counted: a push is created just before its first send. */
  attempts?: number;
}

/** What Token Connect's answer did to one card of a push. */
export type CardOutcome =
  | { cardId: string; state: 'receipt_issued'; receipt: string }
  | { cardId: string; state: 'failed'; errorCode: string };

export interface StatePatch {
  receiptsExpireAt?: Date;
  errorCode?: string | null;
  errorMessage?: string | null;
  pushLinks?: PushLinks;
  completedAt?: Date;
}

type Db = Kysely<IssuerSchema> | StoreTransaction;

/** Token Connect's longest `pushAccountReceiptsValidityPeriod`: 15 minutes. */
const MAX_RECEIPT_VALIDITY_MS = 15 * 60_000;

const toCard = (row: Selectable<ProvisioningCardsTable>): ProvisioningCard => ({
  cardId: row.card_id,
  pushAccountId: row.push_account_id,
  state: row.state as CardState,
  tokenUniqueReference: row.token_unique_reference,
  errorCode: row.error_code,
  reportedResult: row.reported_result,
  reportedTokenUniqueReference: row.reported_token_unique_reference,
});

const toProvisioning = (row: Selectable<ProvisioningsTable>, cards: ProvisioningCard[]): Provisioning => ({
  id: row.id,
  cardholderId: row.cardholder_id,
  destination: row.destination,
  tokenRequestorId: row.token_requestor_id,
  tokenRequestorName: row.token_requestor_name,
  state: row.state as ProvisioningState,
  requestId: row.request_id,
  receiptValidityMinutes: row.receipt_validity_minutes,
  receiptsExpireAt: row.receipts_expire_at,
  errorCode: row.error_code,
  errorMessage: row.error_message,
  attempts: row.attempts,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  completedAt: row.completed_at,
  cards,
});

export class ProvisioningRepository extends IssuerRepository {
  constructor(
    db: Kysely<IssuerSchema>,
    private readonly sealer: Sealer,
  ) {
    super(db);
  }

  /** Writes a new `pending` push and its cards (one statement) and returns it as `get` would read it. */
  async create(p: NewProvisioning, tx: Db = this.db): Promise<Provisioning> {
    const cards = p.cards.map((c) => ({
      provisioning_id: p.id,
      card_id: c.cardId,
      push_account_id: c.pushAccountId,
      state: 'pending',
      receipt_sealed: null,
      token_unique_reference: null,
      error_code: null,
      reported_result: null,
      reported_token_unique_reference: null,
    }));
    const row: Selectable<ProvisioningsTable> = {
      id: p.id,
      cardholder_id: p.cardholderId,
      destination: p.destination,
      token_requestor_id: p.tokenRequestorId,
      token_requestor_name: p.tokenRequestorName,
      state: 'pending',
      request_id: p.requestId,
      receipt_validity_minutes: p.receiptValidityMinutes,
      receipts_expire_at: null,
      callback_token_sealed: this.sealer.seal(p.callbackToken, `provisioning:${p.id}:callback`),
      push_links_sealed: null,
      error_code: null,
      error_message: null,
      attempts: p.attempts ?? 0,
      created_at: p.now,
      updated_at: p.now,
      completed_at: null,
      claimed_by: null,
      lease_until: null,
    };
    // The cards' foreign key is checked at the end of the statement, once the push row is in.
    await tx
      .with('provisioning', (db) => db.insertInto('provisionings').values(row).returning('id'))
      .insertInto('provisioning_cards')
      .values(cards)
      .execute();
    return toProvisioning(
      row,
      cards.map(toCard).sort((a, b) => (a.pushAccountId < b.pushAccountId ? -1 : 1)),
    );
  }

  async get(id: string, tx: Db = this.db): Promise<Provisioning | undefined> {
    const row = await tx.selectFrom('provisionings').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const cards = await tx
      .selectFrom('provisioning_cards')
      .selectAll()
      .where('provisioning_id', '=', id)
      .orderBy('push_account_id')
      .execute();
    return toProvisioning(row, cards.map(toCard));
  }

  /** The record only if it belongs to this cardholder: others' records do not exist for them. */
  async getOwned(cardholderId: string, id: string): Promise<Provisioning | undefined> {
    const found = await this.get(id);
    return found?.cardholderId === cardholderId ? found : undefined;
  }

  async listByCardholder(cardholderId: string, limit = 50): Promise<Provisioning[]> {
    const rows = await this.db
      .selectFrom('provisionings')
      .select('id')
      .where('cardholder_id', '=', cardholderId)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    const out: Provisioning[] = [];
    for (const { id } of rows) {
      const p = await this.get(id);
      if (p) out.push(p);
    }
    return out;
  }

  /**
   * Locks the record for the rest of the transaction. Every change that
   * touches a provisioning and its cards takes this first, so concurrent
   * changes (a callback and MDES's notification) queue instead of deadlocking.
   */
  async lock(id: string, tx: StoreTransaction): Promise<void> {
    await tx.selectFrom('provisionings').select('id').where('id', '=', id).forUpdate().execute();
  }

  /** Moves a record from one state to another; false when it was no longer in `from`. */
  async transition(
    id: string,
    from: ProvisioningState,
    to: ProvisioningState,
    now: Date,
    patch: StatePatch = {},
    tx: Db = this.db,
  ): Promise<boolean> {
    const result = await this.#transition(tx, id, from, to, now, patch).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * `transition` and the cards' outcomes in one statement: the cards change
   * only if the push moved. False when it was no longer in `from`.
   */
  async settleCards(
    id: string,
    from: ProvisioningState,
    to: ProvisioningState,
    now: Date,
    patch: StatePatch,
    outcomes: readonly CardOutcome[],
    tx: Db = this.db,
  ): Promise<boolean> {
    if (outcomes.length === 0) return this.transition(id, from, to, now, patch, tx);
    // One CASE per column keyed on the card; a card without a value for it keeps its own.
    const cases = <T>(column: 'state' | 'receipt_sealed' | 'error_code', values: [string, unknown][]) =>
      values.length === 0
        ? sql<T>`${sql.ref(column)}`
        : sql<T>`case card_id ${sql.join(
            values.map(([cardId, value]) => sql`when ${cardId} then ${value}`),
            sql` `,
          )} else ${sql.ref(column)} end`;
    const result = await tx
      .with('moved', (db) => this.#transition(db, id, from, to, now, patch).returning('id'))
      .updateTable('provisioning_cards')
      .set({
        state: cases<string>(
          'state',
          outcomes.map((o) => [o.cardId, o.state]),
        ),
        receipt_sealed: cases<Uint8Array | null>(
          'receipt_sealed',
          outcomes.flatMap((o) =>
            o.state === 'receipt_issued'
              ? [[o.cardId, this.sealer.seal(o.receipt, `provisioning:${id}:${o.cardId}:receipt`)]]
              : [],
          ),
        ),
        error_code: cases<string | null>(
          'error_code',
          outcomes.flatMap((o) => (o.state === 'failed' ? [[o.cardId, o.errorCode]] : [])),
        ),
      })
      .where('provisioning_id', 'in', (eb) => eb.selectFrom('moved').select('id'))
      .where(
        'card_id',
        'in',
        outcomes.map((o) => o.cardId),
      )
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  #transition(
    db: QueryCreator<IssuerSchema>,
    id: string,
    from: ProvisioningState,
    to: ProvisioningState,
    now: Date,
    patch: StatePatch,
  ) {
    return db
      .updateTable('provisionings')
      .set({
        state: to,
        updated_at: now,
        ...(patch.receiptsExpireAt && { receipts_expire_at: patch.receiptsExpireAt }),
        ...(patch.errorCode !== undefined && { error_code: patch.errorCode }),
        ...(patch.errorMessage !== undefined && { error_message: patch.errorMessage }),
        ...(patch.completedAt && { completed_at: patch.completedAt }),
        ...(patch.pushLinks && {
          push_links_sealed: this.sealer.seal(
            JSON.stringify(patch.pushLinks),
            `provisioning:${id}:push-links`,
          ),
        }),
      })
      .where('id', '=', id)
      .where('state', '=', from);
  }

  async countAttempt(id: string, now: Date, tx: Db = this.db): Promise<void> {
    await tx
      .updateTable('provisionings')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), updated_at: now }))
      .where('id', '=', id)
      .execute();
  }

  async updateCard(
    id: string,
    cardId: string,
    change: {
      state: CardState;
      receipt?: string;
      errorCode?: string | null;
      tokenUniqueReference?: string;
      reported?: { result: string; tokenUniqueReference: string | undefined };
    },
    tx: Db = this.db,
  ): Promise<void> {
    await tx
      .updateTable('provisioning_cards')
      .set({
        state: change.state,
        ...(change.reported && {
          reported_result: change.reported.result,
          reported_token_unique_reference: change.reported.tokenUniqueReference ?? null,
        }),
        ...(change.receipt && {
          receipt_sealed: this.sealer.seal(change.receipt, `provisioning:${id}:${cardId}:receipt`),
        }),
        ...(change.errorCode !== undefined && { error_code: change.errorCode }),
        ...(change.tokenUniqueReference && { token_unique_reference: change.tokenUniqueReference }),
      })
      .where('provisioning_id', '=', id)
      .where('card_id', '=', cardId)
      .execute();
  }

  /** The provisioning and card a pushAccountId was issued for, if it was ours. */
  async findByPushAccountId(
    pushAccountId: string,
  ): Promise<{ provisioning: Provisioning; card: ProvisioningCard } | undefined> {
    const row = await this.db
      .selectFrom('provisioning_cards')
      .select('provisioning_id')
      .where('push_account_id', '=', pushAccountId)
      .executeTakeFirst();
    const provisioning = row && (await this.get(row.provisioning_id));
    const card = provisioning?.cards.find((c) => c.pushAccountId === pushAccountId);
    return provisioning && card ? { provisioning, card } : undefined;
  }

  /**
   * The push of this card to this token requestor that may still bring a
   * token: in one of `states`, the card without a token yet, its receipts
   * valid at `now`; the newest when there are several. How MDES's questions,
   * which name the card and the token requestor but no push, find the push.
   */
  async findOpenPush(
    cardId: string,
    tokenRequestorId: string,
    states: readonly ProvisioningState[],
    now: Date,
  ): Promise<{ provisioning: Provisioning; card: ProvisioningCard } | undefined> {
    const row = await this.db
      .selectFrom('provisioning_cards as c')
      .innerJoin('provisionings as p', 'p.id', 'c.provisioning_id')
      .select('p.id')
      .where('c.card_id', '=', cardId)
      .where('c.token_unique_reference', 'is', null)
      .where('p.token_requestor_id', '=', tokenRequestorId)
      .where('p.state', 'in', [...states])
      // Before MDES's answer is recorded the receipts' end is not known yet: at most 15 minutes after the push.
      .where((eb) =>
        eb.or([
          eb('p.receipts_expire_at', '>', now),
          eb.and([
            eb('p.receipts_expire_at', 'is', null),
            eb('p.created_at', '>', new Date(now.getTime() - MAX_RECEIPT_VALIDITY_MS)),
          ]),
        ]),
      )
      .orderBy('p.created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && this.findCard(row.id, cardId);
  }

  /** A push and one of its cards. */
  async findCard(
    provisioningId: string,
    cardId: string,
    tx: Db = this.db,
  ): Promise<{ provisioning: Provisioning; card: ProvisioningCard } | undefined> {
    const provisioning = await this.get(provisioningId, tx);
    const card = provisioning?.cards.find((c) => c.cardId === cardId);
    return provisioning && card ? { provisioning, card } : undefined;
  }

  /** A push and one of its cards, the push locked until `tx` ends. */
  async lockCard(
    provisioningId: string,
    cardId: string,
    tx: StoreTransaction,
  ): Promise<{ provisioning: Provisioning; card: ProvisioningCard } | undefined> {
    await this.lock(provisioningId, tx);
    return this.findCard(provisioningId, cardId, tx);
  }

  async pushLinks(id: string): Promise<PushLinks> {
    const row = await this.db
      .selectFrom('provisionings')
      .select('push_links_sealed')
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row?.push_links_sealed) return {};
    return JSON.parse(
      this.sealer.open(row.push_links_sealed, `provisioning:${id}:push-links`).toString('utf8'),
    ) as PushLinks;
  }

  /** The receipt MDES issued for a card of the push, to match a token requestor's results. */
  async receipts(id: string, tx: Db = this.db): Promise<Map<string, string>> {
    const rows = await tx
      .selectFrom('provisioning_cards')
      .select(['card_id', 'receipt_sealed'])
      .where('provisioning_id', '=', id)
      .execute();
    const out = new Map<string, string>();
    for (const row of rows) {
      if (row.receipt_sealed) {
        out.set(
          this.sealer.open(row.receipt_sealed, `provisioning:${id}:${row.card_id}:receipt`).toString('utf8'),
          row.card_id,
        );
      }
    }
    return out;
  }

  async callbackToken(id: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('provisionings')
      .select('callback_token_sealed')
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row?.callback_token_sealed) return undefined;
    return this.sealer.open(row.callback_token_sealed, `provisioning:${id}:callback`).toString('utf8');
  }
}
