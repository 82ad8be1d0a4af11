import type { Kysely, Selectable, Transaction } from 'kysely';
import { newId } from '../../core/ids.js';
import type { IssuerSchema, TokenStatus, TokensTable } from '../schema.js';
import { IssuerRepository } from '../transaction.js';

export type { TokenStatus };

/** One token of one of the issuer's cards. */
export interface Token {
  id: string;
  tokenUniqueReference: string;
  cardId: string;
  tokenRequestorId: string;
  tokenRequestorName: string;
  destination: 'click_to_pay' | 'merchant';
  tokenPanSuffix: string;
  status: TokenStatus;
  lastEvent: string;
  lastEventAt: Date;
  createdAt: Date;
  updatedAt: Date;
  /** pushprov's reasons to keep it suspended at MDES: the cardholder paused it, its card is blocked. */
  pausedByCardholder: boolean;
  suspendedForCardBlock: boolean;
}

/** Why pushprov keeps a token suspended at MDES; MDES itself only knows that the issuer suspended it. */
export interface SuspensionReasons {
  pausedByCardholder?: boolean;
  suspendedForCardBlock?: boolean;
}

/** A token as MDES first reports it; it starts ACTIVE. */
export type NewToken = Pick<
  Token,
  | 'tokenUniqueReference'
  | 'cardId'
  | 'tokenRequestorId'
  | 'tokenRequestorName'
  | 'destination'
  | 'tokenPanSuffix'
  | 'createdAt'
>;

export interface TokenCount {
  tokenRequestorId: string;
  tokenRequestorName: string;
  status: TokenStatus;
  count: number;
}

type Db = Kysely<IssuerSchema> | Transaction<IssuerSchema>;

/** The `tokens` table: one row per MDES token of the issuer's cards. */
export class TokenRepository extends IssuerRepository {
  /** Records a new token as ACTIVE; undefined when MDES's reference was recorded before. */
  async recordCreated(token: NewToken, tx: Db = this.db): Promise<Token | undefined> {
    const row = await tx
      .insertInto('tokens')
      .values({
        id: newId('tok'),
        token_unique_reference: token.tokenUniqueReference,
        card_id: token.cardId,
        token_requestor_id: token.tokenRequestorId,
        token_requestor_name: token.tokenRequestorName,
        destination: token.destination,
        token_pan_suffix: token.tokenPanSuffix,
        status: 'ACTIVE',
        last_event: 'CREATED',
        last_event_at: token.createdAt,
        created_at: token.createdAt,
        updated_at: token.createdAt,
      })
      .onConflict((oc) => oc.column('token_unique_reference').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row && record(row);
  }

  /** The token by MDES's reference, locked for the transaction when one is given. */
  async byReference(
    tokenUniqueReference: string,
    tx?: Transaction<IssuerSchema>,
  ): Promise<Token | undefined> {
    let query = (tx ?? this.db)
      .selectFrom('tokens')
      .selectAll()
      .where('token_unique_reference', '=', tokenUniqueReference);
    if (tx) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row && record(row);
  }

  async byId(id: string): Promise<Token | undefined> {
    const row = await this.db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row && record(row);
  }

  async ofCard(cardId: string, tokenId: string): Promise<Token | undefined> {
    const row = await this.db
      .selectFrom('tokens')
      .selectAll()
      .where('card_id', '=', cardId)
      .where('id', '=', tokenId)
      .executeTakeFirst();
    return row && record(row);
  }

  /** The token requestors holding a live token (not deleted) of the card. */
  async liveTokenRequestors(cardId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('tokens')
      .select('token_requestor_id')
      .distinct()
      .where('card_id', '=', cardId)
      .where('status', '!=', 'DELETED')
      .execute();
    return rows.map((row) => row.token_requestor_id);
  }

  async listByCard(cardId: string): Promise<Token[]> {
    const rows = await this.db
      .selectFrom('tokens')
      .selectAll()
      .where('card_id', '=', cardId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(record);
  }

  async update(
    id: string,
    patch: { status?: TokenStatus; tokenPanSuffix?: string; lastEvent: string; lastEventAt: Date; now: Date },
    tx: Db = this.db,
  ): Promise<void> {
    await tx
      .updateTable('tokens')
      .set({
        ...(patch.status && { status: patch.status }),
        ...(patch.tokenPanSuffix && { token_pan_suffix: patch.tokenPanSuffix }),
        last_event: patch.lastEvent,
        last_event_at: patch.lastEventAt,
        updated_at: patch.now,
      })
      .where('id', '=', id)
      .execute();
  }

  /** Records why pushprov keeps the token suspended, once MDES has taken the change. */
  async setSuspensionReasons(
    id: string,
    reasons: SuspensionReasons,
    now: Date,
    tx: Db = this.db,
  ): Promise<void> {
    await tx
      .updateTable('tokens')
      .set({
        ...(reasons.pausedByCardholder !== undefined && { paused_by_cardholder: reasons.pausedByCardholder }),
        ...(reasons.suspendedForCardBlock !== undefined && {
          suspended_for_card_block: reasons.suspendedForCardBlock,
        }),
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
  }

  async counts(): Promise<TokenCount[]> {
    const rows = await this.db
      .selectFrom('tokens')
      .select(({ fn }) => [
        'token_requestor_id',
        'token_requestor_name',
        'status',
        fn.countAll<string | number>().as('count'),
      ])
      .groupBy(['token_requestor_id', 'token_requestor_name', 'status'])
      .orderBy('token_requestor_id')
      .orderBy('status')
      .execute();
    return rows.map((r) => ({
      tokenRequestorId: r.token_requestor_id,
      tokenRequestorName: r.token_requestor_name,
      status: r.status,
      count: Number(r.count),
    }));
  }
}

function record(row: Selectable<TokensTable>): Token {
  return {
    id: row.id,
    tokenUniqueReference: row.token_unique_reference,
    cardId: row.card_id,
    tokenRequestorId: row.token_requestor_id,
    tokenRequestorName: row.token_requestor_name,
    destination: row.destination,
    tokenPanSuffix: row.token_pan_suffix,
    status: row.status,
    lastEvent: row.last_event,
    lastEventAt: row.last_event_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    pausedByCardholder: row.paused_by_cardholder,
    suspendedForCardBlock: row.suspended_for_card_block,
  };
}
