import { type Static, Type } from '@sinclair/typebox';
import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { TokenEvent, TokenEventType, TokenFacts } from '../../mastercard/mdes/messages.js';
import type { NtuToken } from '../../mastercard/token-requestor-notifications.js';
import type { Client } from '../gateway/clients.js';
import { tokenEventNotification } from '../notifications/envelope.js';
import type { NotificationOutbox } from '../notifications/outbox.js';
import { assertValid, parseJson, TokenConnectFailure } from '../token-connect/failure.js';
import type { McManagedTokensTable, McTokenStatus, TokenManagementSchema } from './tables.js';

/**
 * MDES's issuer-side token management, after the MDES Customer Service API:
 * the issuer searches its tokens and suspends, resumes (MDES: unsuspend),
 * deletes or updates them after a card replacement, ten tokens at most per
 * request. Every change is written with its Token Event Notification to the
 * issuer in one transaction, so the issuer hears of each change exactly as
 * it happened, and with a Notify Token Updated to the token requestor that
 * holds the token (the merchant's saved card follows). An issuer sees and
 * changes only the tokens of its own cards.
 */
const references = Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }), {
  minItems: 1,
  maxItems: 10,
});
const causedBy = Type.Union([Type.Literal('CARDHOLDER'), Type.Literal('ISSUER')]);

export const SearchRequestSchema = Type.Object({
  requestId: Type.String({ minLength: 1, maxLength: 64 }),
  tokenUniqueReferences: references,
});

export const LifecycleRequestSchema = Type.Object({
  requestId: Type.String({ minLength: 1, maxLength: 64 }),
  tokenUniqueReferences: references,
  causedBy,
  reasonCode: Type.Optional(
    Type.Union([
      Type.Literal('LOST'),
      Type.Literal('STOLEN'),
      Type.Literal('SUSPECTED_FRAUD'),
      Type.Literal('CUSTOMER_REQUEST'),
      Type.Literal('OTHER'),
    ]),
  ),
});
type LifecycleRequest = Static<typeof LifecycleRequestSchema>;

/** After a card replacement: the new card's last four digits and expiry (MMYY). Either or both. */
export const UpdateRequestSchema = Type.Object({
  requestId: Type.String({ minLength: 1, maxLength: 64 }),
  tokenUniqueReferences: references,
  causedBy,
  accountPanSuffix: Type.Optional(Type.String({ pattern: '^[0-9]{4}$' })),
  accountExpiry: Type.Optional(Type.String({ pattern: '^(0[1-9]|1[0-2])[0-9]{2}$' })),
});

export type LifecycleAction = 'suspend' | 'unsuspend' | 'delete';

/** One token as the issuer sees it through token management; no card data beyond last four digits. */
export interface ManagedToken {
  tokenUniqueReference: string;
  tokenRequestorId: string;
  status: McTokenStatus;
  tokenPanSuffix: string;
  accountPanSuffix: string;
  tokenExpiry: string;
  suspendedBy?: string;
  statusTimestamp: string;
}

const EVENTS: Record<LifecycleAction, { event: TokenEventType; to: McTokenStatus }> = {
  suspend: { event: 'SUSPENDED', to: 'SUSPENDED' },
  unsuspend: { event: 'RESUMED', to: 'ACTIVE' },
  delete: { event: 'DELETED', to: 'DELETED' },
};

type Row = Selectable<McManagedTokensTable> & { push_account_id: string | null };

export interface TokenManagementOptions {
  db: Kysely<unknown>;
  clock: Clock;
  outbox: Pick<NotificationOutbox, 'tokenEvent' | 'notifyTokenUpdated'>;
  /** Told after a change is committed, to deliver its notification promptly. */
  onChange?: () => void;
}

export class TokenManagement {
  readonly #db: Kysely<TokenManagementSchema>;
  readonly #o: TokenManagementOptions;

  constructor(options: TokenManagementOptions) {
    this.#db = options.db as Kysely<TokenManagementSchema>;
    this.#o = options;
  }

  async search(client: Client, raw: Buffer): Promise<{ responseId: string; tokens: ManagedToken[] }> {
    const body = parseJson(raw.toString('utf8'));
    assertValid(SearchRequestSchema, body);
    const request = body as Static<typeof SearchRequestSchema>;
    const rows = await this.#tokens(this.#db, client, request.tokenUniqueReferences, false);
    return { responseId: request.requestId, tokens: rows.map(view) };
  }

  /**
   * Suspends, resumes or deletes tokens. A token already in the asked
   * status is left as it is (a retried request changes nothing and sends no
   * second notification); a deleted token can no longer change.
   */
  async lifecycle(
    client: Client,
    action: LifecycleAction,
    raw: Buffer,
  ): Promise<{ responseId: string; tokens: ManagedToken[] }> {
    const body = parseJson(raw.toString('utf8'));
    assertValid(LifecycleRequestSchema, body);
    const request = body as LifecycleRequest;
    const { event, to } = EVENTS[action];
    const tokens = await this.#change(client, request.tokenUniqueReferences, async (trx, row, now) => {
      if (row.status === to) return undefined;
      if (row.status === 'DELETED')
        throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'tokenUniqueReferences');
      await trx
        .updateTable('mc_tokens')
        .set({
          status: to,
          status_updated_at: now,
          suspended_by: to === 'SUSPENDED' ? request.causedBy : null,
        })
        .where('token_unique_reference', '=', row.token_unique_reference)
        .execute();
      return [{ eventType: event, causedBy: request.causedBy, status: to }];
    });
    return { responseId: request.requestId, tokens };
  }

  /** After a card replacement, the tokens follow the new card's last four digits and expiry. */
  async update(client: Client, raw: Buffer): Promise<{ responseId: string; tokens: ManagedToken[] }> {
    const body = parseJson(raw.toString('utf8'));
    assertValid(UpdateRequestSchema, body);
    const request = body as Static<typeof UpdateRequestSchema>;
    if (request.accountPanSuffix === undefined && request.accountExpiry === undefined) {
      throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'accountPanSuffix');
    }
    const tokens = await this.#change(client, request.tokenUniqueReferences, async (trx, row, now) => {
      if (row.status === 'DELETED')
        throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'tokenUniqueReferences');
      const events: TokenEvent[] = [];
      const status = row.status;
      if (request.accountPanSuffix !== undefined && request.accountPanSuffix !== row.account_last_four) {
        events.push({ eventType: 'PAN_UPDATED', causedBy: request.causedBy, status });
      }
      if (request.accountExpiry !== undefined && request.accountExpiry !== row.account_expiry) {
        events.push({ eventType: 'EXPIRY_UPDATED', causedBy: request.causedBy, status });
      }
      if (events.length === 0) return undefined;
      await trx
        .updateTable('mc_tokens')
        .set({
          account_last_four: request.accountPanSuffix ?? row.account_last_four,
          account_expiry: request.accountExpiry ?? row.account_expiry,
          status_updated_at: now,
        })
        .where('token_unique_reference', '=', row.token_unique_reference)
        .execute();
      return events;
    });
    return { responseId: request.requestId, tokens };
  }

  /**
   * Applies `apply` to each token under a row lock, and records the events
   * it returns as notifications in the same transaction. The facts sent are
   * read after the change, so a PAN update announces the new last four.
   */
  async #change(
    client: Client,
    references: readonly string[],
    apply: (trx: Kysely<TokenManagementSchema>, row: Row, now: Date) => Promise<TokenEvent[] | undefined>,
  ): Promise<ManagedToken[]> {
    const now = this.#o.clock.now();
    let changed = false;
    const tokens = await this.#db.transaction().execute(async (trx) => {
      const rows = await this.#tokens(trx, client, references, true);
      const after: ManagedToken[] = [];
      for (const row of rows) {
        const events = await apply(trx, row, now);
        const [current] = await this.#tokens(trx, client, [row.token_unique_reference], false);
        if (!current) throw new Error('unreachable: a locked token disappeared');
        // The outbox has its own view of the schema; the connection is the same.
        const outboxTrx = trx as unknown as Kysely<unknown>;
        for (const event of events ?? []) {
          await this.#o.outbox.tokenEvent(
            row.issuer_consumer_key,
            tokenEventNotification(newId('ntf'), now, facts(current), event),
            outboxTrx,
          );
          changed = true;
        }
        if (events?.length) {
          await this.#o.outbox.notifyTokenUpdated(
            current.token_requestor_id,
            { requestId: newId('ntu'), responseHost: RESPONSE_HOST, tokens: [ntuToken(current, events)] },
            outboxTrx,
          );
        }
        after.push(view(current));
      }
      return after;
    });
    if (changed) this.#o.onChange?.();
    return tokens;
  }

  /** The client's tokens among `references`, in their order; an unknown or foreign one is refused. */
  async #tokens(
    db: Kysely<TokenManagementSchema>,
    client: Client,
    references: readonly string[],
    lock: boolean,
  ): Promise<Row[]> {
    let query = db
      .selectFrom('mc_tokens as t')
      .leftJoin('mc_receipts as r', 'r.receipt', 't.receipt')
      .selectAll('t')
      .select('r.push_account_id')
      .where('t.token_unique_reference', 'in', [...references])
      .where('t.issuer_consumer_key', '=', client.consumerKey)
      .orderBy('t.token_unique_reference');
    if (lock) query = query.forUpdate('t');
    const rows = await query.execute();
    const byReference = new Map(rows.map((row) => [row.token_unique_reference, row]));
    return references.map((reference) => {
      const row = byReference.get(reference);
      // Another issuer's token is as unknown as a made-up one.
      if (!row)
        throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'tokenUniqueReferences', { status: 404 });
      return row;
    });
  }
}

function view(row: Row): ManagedToken {
  return {
    tokenUniqueReference: row.token_unique_reference,
    tokenRequestorId: row.token_requestor_id,
    status: row.status,
    tokenPanSuffix: row.token_last_four,
    accountPanSuffix: row.account_last_four,
    tokenExpiry: row.token_expiry,
    ...(row.suspended_by ? { suspendedBy: row.suspended_by } : {}),
    statusTimestamp: (row.status_updated_at ?? row.created_at).toISOString(),
  };
}

// Who answers, in MDES's requests to token requestors; the simulator's name for itself.
const RESPONSE_HOST = 'mdes.pushprov.simulator';

/** The token as its token requestor is told of it: MDES calls a deleted token DEACTIVATED. */
function ntuToken(row: Row, events: readonly TokenEvent[]): NtuToken {
  const accountChanged = events.some(
    (e) => e.eventType === 'PAN_UPDATED' || e.eventType === 'EXPIRY_UPDATED',
  );
  return {
    tokenUniqueReference: row.token_unique_reference,
    status: row.status === 'DELETED' ? 'DEACTIVATED' : row.status,
    ...(row.status === 'SUSPENDED' && row.suspended_by ? { suspendedBy: [row.suspended_by] } : {}),
    statusTimestamp: (row.status_updated_at ?? row.created_at).toISOString(),
    reasonCode: accountChanged ? 'ACCOUNT_UPDATE' : 'STATUS_UPDATE',
    tokenInfo: {
      tokenPanSuffix: row.token_last_four,
      accountPanSuffix: row.account_last_four,
      ...(row.account_expiry ? { accountPanExpiry: row.account_expiry } : {}),
    },
  };
}

function facts(row: Row): TokenFacts {
  return {
    tokenUniqueReference: row.token_unique_reference,
    tokenRequestorId: row.token_requestor_id,
    tokenPanSuffix: row.token_last_four,
    accountPanSuffix: row.account_last_four,
    ...(row.push_account_id ? { pushAccountId: row.push_account_id } : {}),
  };
}
