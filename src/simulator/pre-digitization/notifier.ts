import type { Kysely, Selectable } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { DerivedKeySealer } from '../../core/derived-key-sealer.js';
import { ValidationError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { firstInvalidField } from '../../mastercard/field-errors.js';
import type {
  ClearNotifyServiceActivatedRequest,
  ClearNotifyTokenUpdatedRequest,
} from '../../mastercard/pre-digitization/caller.js';
import {
  type ActivatedFundingAccountData,
  missingAtcStatus,
  type NotifySuspiciousEventsRequest,
  NotifySuspiciousEventsRequestSchema,
  type SuspiciousEvent,
} from '../../mastercard/pre-digitization/schemas.js';
import type { FundingAccount } from '../../mastercard/token-connect/types.js';
import type { NotificationOutbox } from '../notifications/outbox.js';
import { fundingAccountData } from './funding.js';
import type { McPreDigitizedTokensTable, PreDigitizationSchema } from './tables.js';

/** Customer Service's suspender codes as the Pre-Digitization `suspendedBy` names them. */
const SUSPENDED_BY: Record<string, string> = {
  I: 'ISSUER',
  W: 'TOKEN_REQUESTOR',
  C: 'CARDHOLDER',
  P: 'MOBILE_PIN_LOCKED',
  M: 'MOBILE_PIN_LOCKED',
};

/** A token's status as the Pre-Digitization API names it: MDES calls a deleted token DEACTIVATED. */
const STATUS: Record<McPreDigitizedTokensTable['status'], string> = {
  INACTIVE: 'INACTIVE',
  ACTIVE: 'ACTIVE',
  SUSPENDED: 'SUSPENDED',
  DELETED: 'DEACTIVATED',
};

export interface IssuerNotifierOptions {
  db: Kysely<unknown>;
  clock: Clock;
  sealer: DerivedKeySealer;
  outbox: Pick<NotificationOutbox, 'toIssuer'>;
  /** The token requestor's consumer-facing name. */
  nameOf: (tokenRequestorId: string) => string | undefined;
}

type Db = Kysely<PreDigitizationSchema>;
type Token = Selectable<McPreDigitizedTokensTable>;

/**
 * MDES's notifications to an issuer, written to the outbox in the
 * transaction that changed the token (docs/mastercard/pre-digitization.md §7):
 * Notify Service Activated when a token becomes active, Notify Token Updated
 * for every later change. The card and token numbers go into the outbox
 * sealed, and are encrypted to the issuer's key at each delivery attempt.
 */
export class IssuerNotifier {
  readonly #options: IssuerNotifierOptions;

  constructor(options: IssuerNotifierOptions) {
    this.#options = options;
  }

  /** Notify Service Activated for a token just made active; once per token. */
  async activated(tokenUniqueReference: string, trx?: Kysely<unknown>): Promise<void> {
    const db = (trx ?? this.#options.db) as Db;
    const token = await this.#token(db, tokenUniqueReference);
    const account = this.#account(token);
    const [month = '', year = ''] = [token.token_expiry.slice(0, 2), token.token_expiry.slice(2)];
    const base = fundingAccountData(
      account,
      token.receipt ? 'ACCOUNT_ADDED_VIA_APPLICATION' : 'ACCOUNT_ADDED_MANUALLY',
    );
    const data: ActivatedFundingAccountData = {
      ...base,
      tokenData: {
        token: this.#options.sealer.open(token.token_sealed, token.token_unique_reference),
        expiryMonth: month,
        expiryYear: year,
      },
    };
    const name = this.#options.nameOf(token.token_requestor_id);
    const request: ClearNotifyServiceActivatedRequest = {
      requestId: newId('nsa'),
      services: ['DIGITIZATION'],
      fundingAccountInfo: {
        tokenUniqueReference: token.token_unique_reference,
        ...(token.pan_unique_reference && { panUniqueReference: token.pan_unique_reference }),
      },
      correlationId: token.correlation_id ?? token.token_unique_reference.slice(-14),
      tokenRequestorId: token.token_requestor_id,
      tokenType: 'CLOUD',
      accountPanSuffix: token.account_last_four,
      serviceRequestDateTime: token.created_at.toISOString(),
      // A token kept for activation was a REQUIRE_ADDITIONAL_AUTHENTICATION.
      decision: token.activation_methods === null ? 'APPROVED' : 'REQUIRE_ADDITIONAL_AUTHENTICATION',
      // Assumption: the issuer's answer is AUTHORIZATION_REQUEST, MDES's own rules (stand-in, on behalf) RULES.
      decisionMadeBy: token.decided_by === 'ISSUER' ? 'AUTHORIZATION_REQUEST' : 'RULES',
      tokenActivatedDateTime: (token.status_updated_at ?? token.created_at).toISOString(),
      ...(name && { consumerFacingEntityName: name }),
    };
    await this.#options.outbox.toIssuer(
      {
        issuerConsumerKey: token.issuer_consumer_key,
        operation: 'notifyServiceActivated',
        tokenUniqueReference: token.token_unique_reference,
        eventKey: `NOTIFY_SERVICE_ACTIVATED:${token.token_unique_reference}`,
        request,
        data,
      },
      db as unknown as Kysely<unknown>,
    );
  }

  /** Notify Token Updated, STATUS_UPDATE: the token's status now, and who suspended it. */
  async statusUpdated(tokenUniqueReference: string, trx?: Kysely<unknown>): Promise<void> {
    const db = (trx ?? this.#options.db) as Db;
    const token = await this.#token(db, tokenUniqueReference);
    const suspendedBy = [
      ...new Set(
        (token.suspenders === '' ? [] : token.suspenders.split(',')).map((s) => SUSPENDED_BY[s] ?? s),
      ),
    ];
    await this.#updated(db, token, {
      requestId: newId('ntu'),
      reasonCode: 'STATUS_UPDATE',
      tokens: [
        {
          tokenUniqueReference: token.token_unique_reference,
          status: STATUS[token.status],
          ...(token.status === 'SUSPENDED' && suspendedBy.length > 0 && { suspendedBy }),
        },
      ],
    });
  }

  /**
   * Notify Token Updated, FUNDING_ACCOUNT_UPDATE: the same token now maps to
   * the replacement card ("Token and FPAN mapping has been updated due to
   * FPAN or expiry … but Token is not changed", the spec's `reasonCode`; its
   * example "For FPAN Update in Same Range"): the token's expiry, and the new
   * card's number and expiry with the token's, encrypted.
   */
  async fundingAccountUpdated(tokenUniqueReference: string, trx?: Kysely<unknown>): Promise<void> {
    const db = (trx ?? this.#options.db) as Db;
    const token = await this.#token(db, tokenUniqueReference);
    const card = this.#account(token).cardAccountData;
    await this.#updated(db, token, {
      requestId: newId('ntu'),
      reasonCode: 'FUNDING_ACCOUNT_UPDATE',
      tokens: [
        {
          tokenUniqueReference: token.token_unique_reference,
          tokenExpiry: token.token_expiry,
          fundingAccountData: {
            ...(card && { cardAccountData: card }),
            tokenData: {
              token: this.#options.sealer.open(token.token_sealed, token.token_unique_reference),
              expiryMonth: token.token_expiry.slice(0, 2),
              expiryYear: token.token_expiry.slice(2),
            },
          },
        },
      ],
    });
  }

  /**
   * Notify Suspicious Events about a token: what MDES saw while replenishing
   * its keys (2.0.21 names one event, REPLENISH, with the ATCs the wallet
   * and the authorization network reported), with the token's status now.
   * The simulated MDES replenishes no keys, so whoever drives it says what
   * was seen. Resolves the request's id; undefined for a token MDES does not
   * hold; throws on an event the spec would not let MDES send.
   */
  async suspiciousEvents(
    tokenUniqueReference: string,
    events: SuspiciousEvent,
    paymentAppInstanceId?: string,
  ): Promise<string | undefined> {
    const db = this.#options.db as Db;
    const token = await db
      .selectFrom('mc_tokens')
      .selectAll()
      .where('token_unique_reference', '=', tokenUniqueReference)
      .executeTakeFirst();
    if (!token) return undefined;
    const request: NotifySuspiciousEventsRequest = {
      requestId: newId('nse'),
      tokenUniqueReference,
      ...(paymentAppInstanceId && { paymentAppInstanceId }),
      status: STATUS[token.status],
      events,
    };
    const missing = missingAtcStatus(events);
    const problem =
      firstInvalidField(NotifySuspiciousEventsRequestSchema, request) ??
      (missing && { code: 'MISSING_REQUIRED_FIELD', path: `/events/${missing}` });
    if (problem) {
      throw new ValidationError(
        'SUSPICIOUS_EVENT_INVALID',
        `the suspicious event breaks the spec: ${problem.code} ${problem.path}`,
      );
    }
    await this.#options.outbox.toIssuer({
      issuerConsumerKey: token.issuer_consumer_key,
      operation: 'notifySuspiciousEvents',
      tokenUniqueReference,
      eventKey: `NOTIFY_SUSPICIOUS_EVENTS:${request.requestId}`,
      request,
    });
    return request.requestId;
  }

  /**
   * Tokens active without a Notify Service Activated (a crash between the
   * token and its notification): each gets one. Run at start-up.
   */
  async recover(batch = 500): Promise<number> {
    const db = this.#options.db as Db;
    const missing = await db
      .selectFrom('mc_tokens as t')
      .innerJoin('mc_clients as c', 'c.consumer_key', 't.issuer_consumer_key')
      .select('t.token_unique_reference')
      .where('c.pre_digitization_url', 'is not', null)
      .where('t.status', '=', 'ACTIVE')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('mc_notifications as n')
              .select('n.seq')
              .whereRef('n.token_unique_reference', '=', 't.token_unique_reference')
              .where('n.message_type', '=', 'NOTIFY_SERVICE_ACTIVATED'),
          ),
        ),
      )
      .orderBy('t.created_at')
      .limit(batch)
      .execute();
    for (const { token_unique_reference } of missing) await this.activated(token_unique_reference);
    return missing.length;
  }

  async #updated(db: Db, token: Token, request: ClearNotifyTokenUpdatedRequest): Promise<void> {
    await this.#options.outbox.toIssuer(
      {
        issuerConsumerKey: token.issuer_consumer_key,
        operation: 'notifyTokenUpdated',
        tokenUniqueReference: token.token_unique_reference,
        eventKey: `NOTIFY_TOKEN_UPDATED:${request.requestId}`,
        request,
      },
      db as unknown as Kysely<unknown>,
    );
  }

  async #token(db: Db, tokenUniqueReference: string): Promise<Token> {
    return db
      .selectFrom('mc_tokens')
      .selectAll()
      .where('token_unique_reference', '=', tokenUniqueReference)
      .executeTakeFirstOrThrow();
  }

  #account(token: Token): FundingAccount {
    return JSON.parse(
      this.#options.sealer.open(token.account_sealed, token.token_unique_reference),
    ) as FundingAccount;
  }
}
