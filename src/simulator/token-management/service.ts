import type { TSchema } from '@sinclair/typebox';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { DerivedKeySealer } from '../../core/derived-key-sealer.js';
import { newId } from '../../core/ids.js';
import { luhnValid } from '../../core/luhn.js';
import {
  type AuditInfo,
  SEARCH_CRITERIA,
  type SearchRequest,
  SearchRequestSchema,
  type SearchResponse,
  type SearchToken,
  type StatusCode,
  type Suspender,
  TokenActivateRequestSchema,
  TokenDeleteRequestSchema,
  TokenStatusHistoryRequestSchema,
  TokenSuspendRequestSchema,
  TokenUnsuspendRequestSchema,
  TokenUpdateRequestSchema,
} from '../../mastercard/customer-service/schemas.js';
import { fullToken, type SealedAccount } from '../digital-enablement/token-view.js';
import type { Client } from '../gateway/clients.js';
import type { NotificationOutbox } from '../notifications/outbox.js';
import type { IssuerNotifier } from '../pre-digitization/notifier.js';
import { enrolledRangeOf } from '../token-connect/catalogue.js';
import { invalidFieldReason, parseJson, TokenConnectFailure } from '../token-connect/failure.js';
import { CustomerServiceFailure } from './failure.js';
import { changeTokenStatus, STATUS_CODE } from './status-history.js';
import type { McManagedTokensTable, McTokenStatus, TokenManagementSchema } from './tables.js';

/**
 * MDES Customer Service as the simulated MDES serves it to issuers (version
 * 2.0.7; docs/mastercard/customer-service.md): search, suspend, unsuspend,
 * delete, activate, update after a card replacement, and status history,
 * one token per call, each request in its PascalCase wrapper with the
 * issuer's AuditInfo. Every change is written with its Token Event
 * Notification to the issuer and its Notify Token Updated to the token
 * requestor in one transaction, so both hear of each change exactly as it
 * happened. An issuer sees and changes only the tokens of its own cards;
 * another issuer's token is as unknown as a made-up one.
 */

type Row = Selectable<McManagedTokensTable>;

/** What changed in one token: its status, or the card it maps to. */
interface TokenEvent {
  eventType: 'ACTIVATED' | 'SUSPENDED' | 'RESUMED' | 'DELETED' | 'PAN_UPDATED' | 'EXPIRY_UPDATED';
}
type Db = Kysely<TokenManagementSchema>;
type Tx = Transaction<TokenManagementSchema>;

/** An issuer's change as Customer Service records it: the issuer is suspender and initiator `I`. */
const ISSUER: Suspender = 'I';

const STATUS_DESCRIPTION: Record<StatusCode, string> = {
  U: 'Unmapped',
  A: 'Active',
  S: 'Suspended',
  D: 'Deleted',
};

export interface CustomerServiceOptions {
  db: Kysely<unknown>;
  clock: Clock;
  /** Seals the funding account, as tokenize does. */
  sealer: DerivedKeySealer;
  /** Notify Token Updated to the token requestor. */
  outbox: Pick<NotificationOutbox, 'notifyTokenUpdated'>;
  /** Notify Service Activated and Notify Token Updated to the issuer. */
  issuer: Pick<IssuerNotifier, 'activated' | 'statusUpdated' | 'fundingAccountUpdated'>;
  /** Told after a change is committed, to deliver its notification promptly. */
  onChange?: () => void;
}

type Change = 'suspend' | 'unsuspend' | 'delete' | 'activate';

const WRAPPERS = {
  suspend: ['TokenSuspendRequest', TokenSuspendRequestSchema],
  unsuspend: ['TokenUnsuspendRequest', TokenUnsuspendRequestSchema],
  delete: ['TokenDeleteRequest', TokenDeleteRequestSchema],
  activate: ['TokenActivateRequest', TokenActivateRequestSchema],
} as const satisfies Record<Change, readonly [string, TSchema]>;

const ANSWERS: Record<Change, string> = {
  suspend: 'TokenSuspendResponse',
  unsuspend: 'TokenUnsuspendResponse',
  delete: 'TokenDeleteResponse',
  activate: 'TokenActivateResponse',
};

interface ChangeRequest {
  TokenUniqueReference: string;
  ReasonCode: string;
  CommentText?: string;
  AuditInfo: AuditInfo;
}

export class CustomerService {
  readonly #db: Db;
  readonly #options: CustomerServiceOptions;

  constructor(options: CustomerServiceOptions) {
    this.#db = options.db as Db;
    this.#options = options;
  }

  /**
   * Search by token unique reference or by card number (exactly one). An
   * unknown token or card is an empty list; a replaced card number finds
   * nothing, as the spec says ("if the search criteria is a PAN that has
   * been replaced, the system will not retrieve any data").
   */
  async search(client: Client, raw: Buffer): Promise<SearchResponse> {
    const { SearchRequest: request } = readCustomerServiceRequest<{ SearchRequest: SearchRequest }>(
      SearchRequestSchema,
      raw,
    );
    const given = SEARCH_CRITERIA.filter((criterion) => request[criterion] !== undefined);
    if (given.length !== 1) throw new CustomerServiceFailure('INVALID_FIELD_VALUE', 'SearchRequest');
    let rows = await this.#issuerTokens(this.#db, client).then((query) =>
      request.TokenUniqueReference !== undefined
        ? query.where('t.token_unique_reference', '=', request.TokenUniqueReference).execute()
        : query.execute(),
    );
    if (request.AccountPan !== undefined) {
      const pan = request.AccountPan;
      // The simulator's cards are few: open each of the issuer's and compare.
      rows = rows.filter((row) => this.#accountPan(row) === pan);
    }
    if (request.ExcludeDeletedIndicator === 'true') rows = rows.filter((row) => row.status !== 'DELETED');
    const byAccount = new Map<string, Row[]>();
    for (const row of rows) {
      const key = `${row.account_last_four}/${row.account_expiry ?? ''}`;
      byAccount.set(key, [...(byAccount.get(key) ?? []), row]);
    }
    return {
      SearchResponse: {
        Accounts: {
          Account: [...byAccount.values()].map((tokens) => ({
            AccountPanSuffix: tokens[0]?.account_last_four ?? '',
            ...(tokens[0]?.account_expiry ? { ExpirationDate: tokens[0].account_expiry } : {}),
            Tokens: { Token: tokens.map(searchToken) },
          })),
        },
      },
    };
  }

  /**
   * Suspend, unsuspend, delete or activate one token. A token has a set of
   * suspenders and stays SUSPENDED until the last one resumes it; an issuer
   * adds and removes only its own (`I`). Asking again for what is already so
   * (suspending a token the issuer suspended, resuming one it did not)
   * changes nothing and sends no notification; a deleted token can no longer
   * change. Activate makes a token awaiting activation (INACTIVE, after
   * REQUIRE_ADDITIONAL_AUTHENTICATION) active, and answers any other without
   * a change; such a token can only be activated or deleted.
   */
  async change(client: Client, change: Change, raw: Buffer): Promise<Record<string, unknown>> {
    const [wrapper, schema] = WRAPPERS[change];
    const request = readCustomerServiceRequest<Record<string, ChangeRequest>>(schema, raw)[
      wrapper
    ] as ChangeRequest;
    const commentId = request.CommentText === undefined ? undefined : newId('cmt');
    await this.#apply(client, request.TokenUniqueReference, wrapper, async (tx, row, now) => {
      if (row.status === 'DELETED')
        throw new CustomerServiceFailure('INVALID_FIELD_VALUE', `${wrapper}.TokenUniqueReference`);
      if (row.status === 'INACTIVE' && (change === 'suspend' || change === 'unsuspend')) {
        throw new CustomerServiceFailure('INVALID_FIELD_VALUE', `${wrapper}.TokenUniqueReference`);
      }
      if (row.status !== 'INACTIVE' && change === 'activate') return [];
      const suspenders = new Set(row.suspenders === '' ? [] : row.suspenders.split(','));
      if (change === 'suspend') suspenders.add(ISSUER);
      if (change === 'unsuspend') suspenders.delete(ISSUER);
      const status: McTokenStatus =
        change === 'delete' ? 'DELETED' : suspenders.size > 0 ? 'SUSPENDED' : 'ACTIVE';
      const next = status === 'DELETED' ? '' : [...suspenders].sort().join(',');
      if (status === row.status && next === row.suspenders) return [];
      await changeTokenStatus(tx, {
        reference: row.token_unique_reference,
        status,
        suspenders: next,
        at: now,
        initiator: ISSUER,
        reasonCode: request.ReasonCode,
        ...(commentId !== undefined && { commentId }),
        auditInfo: request.AuditInfo,
      });
      if (status === row.status) return [];
      return [{ eventType: row.status === 'INACTIVE' && status === 'ACTIVE' ? 'ACTIVATED' : EVENTS[status] }];
    });
    return {
      [ANSWERS[change]]: {
        Token: {
          TokenUniqueReference: request.TokenUniqueReference,
          ...(commentId === undefined ? {} : { CommentId: commentId }),
        },
      },
    };
  }

  /**
   * The cardholder entered the right activation code in the token
   * requestor's app (checked by MDES, or by the issuer through Validate
   * Activation Code: "If activation code validation is successful, MDES will
   * complete the provisioning process"): a token awaiting activation becomes
   * ACTIVE and is announced as any activation. The cardholder is its
   * initiator (`C`); Customer Service's reason codes are the issuer's, so none.
   */
  async activateWithCode(issuerConsumerKey: string, reference: string): Promise<void> {
    await this.#apply(
      { consumerKey: issuerConsumerKey },
      reference,
      'TokenActivateRequest',
      async (tx, row, now) => {
        if (row.status !== 'INACTIVE') return [];
        await changeTokenStatus(tx, {
          reference: row.token_unique_reference,
          status: 'ACTIVE',
          suspenders: '',
          at: now,
          initiator: 'C',
          reasonCode: null,
        });
        return [{ eventType: 'ACTIVATED' }];
      },
    );
  }

  /**
   * A card replaced: the token follows the new card number (in the same
   * account range, as the spec requires), expiry and sequence number, any of
   * them. Only ACTIVE and SUSPENDED tokens are updated.
   */
  async update(client: Client, raw: Buffer): Promise<Record<string, unknown>> {
    const request = readCustomerServiceRequest<{
      TokenUpdateRequest: {
        TokenUniqueReference: string;
        NewAccountPan?: string;
        ExpirationDate?: string;
        AccountPanSequenceNumber?: string;
        CommentText?: string;
        AuditInfo: AuditInfo;
      };
    }>(TokenUpdateRequestSchema, raw).TokenUpdateRequest;
    const { NewAccountPan: pan, ExpirationDate: expiry, AccountPanSequenceNumber: sequence } = request;
    if (pan === undefined && expiry === undefined && sequence === undefined) {
      throw new CustomerServiceFailure('MISSING_REQUIRED_FIELD', 'TokenUpdateRequest.NewAccountPan');
    }
    if (pan !== undefined && !luhnValid(pan)) {
      throw new CustomerServiceFailure('INVALID_FIELD_VALUE', 'TokenUpdateRequest.NewAccountPan');
    }
    const commentId = request.CommentText === undefined ? undefined : newId('cmt');
    await this.#apply(client, request.TokenUniqueReference, 'TokenUpdateRequest', async (tx, row, now) => {
      if (row.status === 'DELETED') {
        throw new CustomerServiceFailure('INVALID_FIELD_VALUE', 'TokenUpdateRequest.TokenUniqueReference');
      }
      const account = this.#account(row);
      const current = cardOf(account)?.accountNumber ?? '';
      if (pan !== undefined && enrolledRangeOf(pan)?.prefix !== enrolledRangeOf(current)?.prefix) {
        // "The account mapping will only update an Account PAN for a new Account PAN when they are both in the same Account Range."
        throw new CustomerServiceFailure('INVALID_FIELD_VALUE', 'TokenUpdateRequest.NewAccountPan');
      }
      // "updates will only be applied to tokens in ACTIVE or SUSPENDED state"
      if (row.status === 'INACTIVE') {
        throw new CustomerServiceFailure('INVALID_FIELD_VALUE', 'TokenUpdateRequest.TokenUniqueReference');
      }
      const events: TokenEvent[] = [];
      if (pan !== undefined && pan !== current) events.push({ eventType: 'PAN_UPDATED' });
      if (expiry !== undefined && expiry !== (row.account_expiry ?? expiryOf(account))) {
        events.push({ eventType: 'EXPIRY_UPDATED' });
      }
      const sequenceChanged = sequence !== undefined && sequence !== row.account_pan_sequence;
      if (events.length === 0 && !sequenceChanged) return [];
      const card = cardOf(account);
      // The sealed card is the one MDES describes to the issuer (Notify Token Updated): number and expiry both follow.
      const updated = card
        ? {
            ...account,
            cardAccountData: {
              ...card,
              ...(pan !== undefined && { accountNumber: pan }),
              ...(expiry !== undefined && { expiryMonth: expiry.slice(0, 2), expiryYear: expiry.slice(2) }),
            },
          }
        : account;
      await tx
        .updateTable('mc_tokens')
        .set({
          account_last_four: pan === undefined ? row.account_last_four : pan.slice(-4),
          account_sealed: this.#options.sealer.seal(JSON.stringify(updated), row.token_unique_reference),
          account_expiry: expiry ?? row.account_expiry,
          account_pan_sequence: sequence ?? row.account_pan_sequence,
          status_updated_at: now,
        })
        .where('token_unique_reference', '=', row.token_unique_reference)
        .execute();
      return events;
    });
    return {
      TokenUpdateResponse: {
        Tokens: {
          Token: [
            {
              TokenUniqueReference: request.TokenUniqueReference,
              ...(commentId === undefined ? {} : { CommentId: commentId }),
            },
          ],
        },
      },
    };
  }

  /** The token's statuses, oldest first: its creation (by the token requestor), then each change. */
  async statusHistory(client: Client, raw: Buffer): Promise<Record<string, unknown>> {
    const request = readCustomerServiceRequest<{
      TokenStatusHistoryRequest: { TokenUniqueReference: string };
    }>(TokenStatusHistoryRequestSchema, raw).TokenStatusHistoryRequest;
    const [row] = await (await this.#issuerTokens(this.#db, client))
      .where('t.token_unique_reference', '=', request.TokenUniqueReference)
      .execute();
    if (!row) throw unknownToken('TokenStatusHistoryRequest');
    const changes = await this.#db
      .selectFrom('mc_token_statuses')
      .selectAll()
      .where('token_unique_reference', '=', row.token_unique_reference)
      .orderBy('id')
      .execute();
    const created = {
      StatusCode: 'A',
      StatusDescription: 'Active',
      StatusDateTime: row.created_at.toISOString(),
      Initiator: 'W',
    };
    return {
      TokenStatusHistoryResponse: {
        Statuses: {
          Status: [
            created,
            ...changes.map((c) => ({
              StatusCode: c.status_code,
              StatusDescription: STATUS_DESCRIPTION[c.status_code],
              StatusDateTime: c.at.toISOString(),
              Initiator: c.initiator,
              ...(c.reason_code ? { ReasonCode: c.reason_code } : {}),
              ...(c.comment_id ? { CommentId: c.comment_id } : {}),
              ...(c.audit_info ? { AuditInfo: JSON.parse(c.audit_info) as AuditInfo } : {}),
            })),
          ],
        },
      },
    };
  }

  /**
   * Applies `apply` to the issuer's token under a row lock, and records the
   * events it returns as notifications in the same transaction. The facts
   * sent are read after the change, so a PAN update announces the new last four.
   */
  async #apply(
    client: Pick<Client, 'consumerKey'>,
    reference: string,
    wrapper: string,
    apply: (tx: Tx, row: Row, now: Date) => Promise<TokenEvent[]>,
  ): Promise<void> {
    const now = this.#options.clock.now();
    const changed = await this.#db.transaction().execute(async (tx) => {
      const locked = await (await this.#issuerTokens(tx, client))
        .where('t.token_unique_reference', '=', reference)
        .forUpdate('t')
        .executeTakeFirst();
      if (!locked) throw unknownToken(wrapper);
      const events = await apply(tx, locked, now);
      if (events.length === 0) return false;
      const current = await (await this.#issuerTokens(tx, client))
        .where('t.token_unique_reference', '=', reference)
        .executeTakeFirstOrThrow();
      // The outbox has its own view of the schema; the connection is the same.
      const outboxTx = tx as unknown as Kysely<unknown>;
      const changed = current.token_unique_reference;
      const kinds = new Set(events.map((e) => e.eventType));
      // A token made active is announced as such (Notify Service Activated); any other status change
      // as a STATUS_UPDATE; a new card or expiry as a token re-digitized onto it.
      if (kinds.has('ACTIVATED')) await this.#options.issuer.activated(changed, outboxTx);
      else if (kinds.has('PAN_UPDATED') || kinds.has('EXPIRY_UPDATED')) {
        await this.#options.issuer.fundingAccountUpdated(changed, outboxTx);
      } else await this.#options.issuer.statusUpdated(changed, outboxTx);
      await this.#options.outbox.notifyTokenUpdated(
        current.token_requestor_id,
        {
          requestId: newId('ntu'),
          responseHost: RESPONSE_HOST,
          tokens: [fullToken(current, this.#account(current))],
        },
        outboxTx,
      );
      return true;
    });
    if (changed) this.#options.onChange?.();
  }

  /** The client's tokens. */
  async #issuerTokens(db: Db | Tx, client: Pick<Client, 'consumerKey'>) {
    return db
      .selectFrom('mc_tokens as t')
      .selectAll('t')
      .where('t.issuer_consumer_key', '=', client.consumerKey)
      .orderBy('t.created_at')
      .orderBy('t.token_unique_reference');
  }

  #account(row: Row): SealedAccount {
    return JSON.parse(
      this.#options.sealer.open(row.account_sealed, row.token_unique_reference),
    ) as SealedAccount;
  }

  #accountPan(row: Row): string | undefined {
    return cardOf(this.#account(row))?.accountNumber;
  }
}

const cardOf = (account: SealedAccount) => account.cardAccountData;
const expiryOf = (account: SealedAccount): string | undefined => {
  const card = cardOf(account);
  return card?.expiryMonth && card.expiryYear ? `${card.expiryMonth}${card.expiryYear}` : undefined;
};

/** Parses a body and checks it against the operation's schema; the first problem is MDES's error with its path. */
export function readCustomerServiceRequest<T>(schema: TSchema, raw: Buffer): T {
  let body: unknown;
  try {
    body = parseJson(raw.toString('utf8'));
  } catch (error) {
    if (error instanceof TokenConnectFailure) throw new CustomerServiceFailure('INVALID_JSON', 'System');
    throw error;
  }
  const problem = invalidFieldReason(schema, body);
  if (problem) {
    const source = problem.path
      .split('/')
      .filter((s) => s !== '' && !/^\d+$/.test(s))
      .join('.');
    throw new CustomerServiceFailure(problem.reasonCode, source || 'System');
  }
  return body as T;
}

export const unknownToken = (wrapper: string) =>
  new CustomerServiceFailure('INVALID_FIELD_VALUE', `${wrapper}.TokenUniqueReference`, { status: 404 });

const EVENTS: Record<McTokenStatus, TokenEvent['eventType']> = {
  INACTIVE: 'SUSPENDED',
  SUSPENDED: 'SUSPENDED',
  ACTIVE: 'RESUMED',
  DELETED: 'DELETED',
};

function searchToken(row: Row): SearchToken {
  const code = STATUS_CODE[row.status];
  const suspenders = row.suspenders === '' ? [] : row.suspenders.split(',');
  return {
    TokenUniqueReference: row.token_unique_reference,
    TokenRequestorId: row.token_requestor_id,
    TokenSuffix: row.token_last_four,
    ExpirationDate: row.token_expiry,
    CurrentStatusCode: code,
    CurrentStatusDescription: STATUS_DESCRIPTION[code],
    CurrentStatusDateTime: (row.status_updated_at ?? row.created_at).toISOString(),
    ...(suspenders.length > 0 ? { Suspenders: { Suspender: suspenders } } : {}),
    ...(row.account_pan_sequence ? { AccountPanSequenceNumber: row.account_pan_sequence } : {}),
  };
}

// Who answers, in MDES's requests to token requestors; the simulator's name for itself.
export const RESPONSE_HOST = 'mdes.pushprov.simulator';
