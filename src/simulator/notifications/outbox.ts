import { type Kysely, type Selectable, sql } from 'kysely';
import { retryDelay } from '../../core/backoff.js';
import type { Clock } from '../../core/clock.js';
import type { DerivedKeySealer } from '../../core/derived-key-sealer.js';
import { type Lease, LeasedTable } from '../../core/jobs/lease.js';
import { eachBounded } from '../../core/jobs/loop.js';
import type { NotifyTokenUpdatedRequest } from '../../mastercard/digital-enablement/schemas.js';
import { signedPost } from '../../mastercard/oauth/signed-post.js';
import type { OAuthSigner } from '../../mastercard/oauth/signer.js';
import type {
  ClearNotifyServiceActivatedRequest,
  ClearNotifyTokenUpdatedRequest,
  PreDigitizationFailure,
  PreDigitizationResult,
} from '../../mastercard/pre-digitization/caller.js';
import type {
  ActivatedFundingAccountData,
  NotifySuspiciousEventsRequest,
  UpdatedFundingAccountData,
} from '../../mastercard/pre-digitization/schemas.js';
import { NTU_MESSAGE_TYPE, type TokenUpdatedNotice } from '../../mastercard/token-requestor-notifications.js';
import { encrypterOfRow } from '../digital-enablement/encryption.js';
import type { IssuerServices } from '../pre-digitization/issuers.js';
import { ISSUER_MESSAGE_TYPES, type McNotificationsTable, type NotificationsSchema } from './tables.js';

export interface OutboxOptions {
  db: Kysely<unknown>;
  clock: Clock;
  /** Signs each attempt to a token requestor as MDES (OAuth 1.0a with Mastercard's signing key), with a fresh nonce. */
  signer: Pick<OAuthSigner, 'authorizationHeader'>;
  /** Seals the card data of a notification to an issuer until an attempt encrypts it to the issuer's key. */
  sealer: DerivedKeySealer;
  /** The issuers' Pre-Digitization web services, which notifications to issuers are delivered to. */
  issuers: Pick<IssuerServices, 'of'>;
  /** Told about every attempt; facts only (ids, status), never the body. */
  onAttempt?: (attempt: DeliveryAttempt) => void;
  fetch?: typeof globalThis.fetch;
  /** Per attempt, until the issuer's answer has arrived; default 10 s. */
  timeoutMs?: number;
  /** Delay after the first failed attempt, doubling after each; default 5 s. */
  retryBaseMs?: number;
  /** Longest delay between attempts; default 1 hour. */
  retryCapMs?: number;
  /** Attempts at a Notify Token Updated before it is given up (`rejected`, GAVE_UP); default 10. */
  tokenRequestorMaxAttempts?: number;
}

export interface DeliveryAttempt {
  notificationId: string;
  messageType: string;
  attempt: number;
  /** The issuer's HTTP status; absent when no answer came. */
  status: number | undefined;
  outcome: 'delivered' | 'retry' | 'rejected';
  error: string | undefined;
}

type Row = Selectable<McNotificationsTable>;

// How long a claimed notification is left to its worker before another may take it.
const LEASE_MARGIN_MS = 5_000;
// Notifications claimed per step, and delivered at once.
const DELIVERY_BATCH = 16;
const DELIVERY_CONCURRENCY = 8;
// 4xx answers that say "not now" rather than "never".
const RETRYABLE_STATUSES = new Set([408, 425, 429]);

/**
 * MDES's notifications to issuers, through an outbox: a message is written
 * (`pending`) when its event happens, then delivered by a worker that signs
 * each attempt and retries on a 5xx, a timeout or a network failure with
 * exponential backoff, so nothing is lost while the issuer is down. A
 * message waits for every earlier message about the same token, so an
 * issuer sees a token's events in order. A 4xx answer (other than
 * 408/425/429) is final: the same bytes would be refused again.
 */
export class NotificationOutbox {
  readonly #db: Kysely<NotificationsSchema>;
  readonly #options: OutboxOptions;
  readonly #leased: LeasedTable<Row>;

  constructor(options: OutboxOptions) {
    this.#db = options.db as Kysely<NotificationsSchema>;
    this.#options = options;
    this.#leased = new LeasedTable(options.db, {
      table: 'mc_notifications',
      key: 'notification_id',
      leaseMs: this.#timeoutMs() + LEASE_MARGIN_MS,
    });
  }

  /**
   * Records a notification to an issuer's Pre-Digitization web services
   * (Notify Service Activated, Notify Token Updated, Notify Suspicious
   * Events), unless the issuer
   * registered none. Card and token numbers are sealed apart from the body,
   * to be encrypted to the issuer's key at each attempt. Pass the
   * transaction that changed the token, so the change and its
   * announcement commit together; a second call with the same `eventKey`
   * is a no-op.
   */
  async toIssuer(message: IssuerMessage, trx?: Kysely<unknown>): Promise<void> {
    const db = (trx as Kysely<NotificationsSchema> | undefined) ?? this.#db;
    const issuer = await db
      .selectFrom('mc_clients')
      .select('consumer_key')
      .where('consumer_key', '=', message.issuerConsumerKey)
      .where('pre_digitization_url', 'is not', null)
      .executeTakeFirst();
    if (!issuer) return;
    const notificationId = message.request.requestId;
    const { body, data } = splitCardData(message);
    await this.#enqueue(
      message.issuerConsumerKey,
      {
        notificationId,
        messageType: ISSUER_MESSAGE_TYPES[message.operation],
        tokenUniqueReference: message.tokenUniqueReference,
        body,
        payloadSealed: data === undefined ? null : this.#options.sealer.seal(data, notificationId),
      },
      message.eventKey,
      db,
    );
  }

  /**
   * Records a Notify Token Updated for the token requestor that holds the
   * token, when it registered a notification URL (Click to Pay, run inside
   * the simulator, has none): the Digital Enablement API's request, its
   * tokens encrypted to the token requestor's key when written, so the
   * outbox holds, and every attempt sends, only ciphertext. Pass the
   * transaction that changed the token.
   */
  async notifyTokenUpdated(
    tokenRequestorId: string,
    notice: TokenUpdatedNotice,
    trx?: Kysely<unknown>,
  ): Promise<void> {
    const db = (trx as Kysely<NotificationsSchema> | undefined) ?? this.#db;
    const requestor = await db
      .selectFrom('mc_clients')
      .select(['consumer_key', 'encryption_public_key_pem', 'encryption_certificate_pem'])
      .where('role', '=', 'token_requestor')
      .where('token_requestor_id', '=', tokenRequestorId)
      .where('notification_url', 'is not', null)
      .executeTakeFirst();
    const [token] = notice.tokens;
    // A token requestor with no key (none can register so now) is never sent anything in clear.
    const encrypter = requestor && encrypterOfRow(requestor);
    if (!requestor || !token || !encrypter) return;
    const request: NotifyTokenUpdatedRequest = {
      responseHost: notice.responseHost,
      requestId: notice.requestId,
      encryptedPayload: encrypter.encrypt(JSON.stringify({ tokens: notice.tokens })),
    };
    await this.#enqueue(
      requestor.consumer_key,
      {
        notificationId: request.requestId,
        messageType: NTU_MESSAGE_TYPE,
        tokenUniqueReference: token.tokenUniqueReference,
        body: JSON.stringify(request),
      },
      `${NTU_MESSAGE_TYPE}:${request.requestId}`,
      db,
    );
  }

  /**
   * Claims a batch of due notifications for this instance and delivers them
   * at once (they are about different tokens); resolves how many were attempted.
   */
  async step(): Promise<number> {
    const { lease, rows } = await this.#claim();
    await eachBounded(rows, DELIVERY_CONCURRENCY, (row) => this.#deliver(row, lease));
    return rows.length;
  }

  /** Attempts every notification due now, in order; for tests and tools. */
  async drain(): Promise<number> {
    let attempted = 0;
    while ((await this.step()) > 0) attempted++;
    return attempted;
  }

  async #enqueue(
    consumerKey: string,
    message: OutboxMessage,
    eventKey: string,
    db: Kysely<NotificationsSchema> = this.#db,
  ): Promise<void> {
    const now = this.#options.clock.now();
    await db
      .insertInto('mc_notifications')
      .values({
        notification_id: message.notificationId,
        issuer_consumer_key: consumerKey,
        message_type: message.messageType,
        event_key: eventKey,
        token_unique_reference: message.tokenUniqueReference,
        body: message.body,
        payload_sealed: message.payloadSealed ?? null,
        state: 'pending',
        attempts: 0,
        next_attempt_at: now,
        last_error: null,
        created_at: now,
        updated_at: now,
        delivered_at: null,
      })
      .onConflict((oc) => oc.column('event_key').doNothing())
      .execute();
  }

  /**
   * Claims the oldest due notifications whose token has no earlier one still
   * pending for the same recipient, counting an attempt of each: until the
   * lease ends no other worker takes them, and the later notifications of
   * their tokens to those recipients keep waiting (a merchant that is down
   * does not hold up the issuer).
   */
  #claim(): Promise<{ lease: Lease; rows: Row[] }> {
    const now = this.#options.clock.now();
    return this.#leased.claim({
      now,
      due: sql`t.state = 'pending' and t.next_attempt_at <= ${now} and not exists (
        select 1 from mc_notifications as e
        where e.token_unique_reference = t.token_unique_reference
          and e.issuer_consumer_key = t.issuer_consumer_key
          and e.state = 'pending' and e.seq < t.seq)`,
      order: sql`t.seq`,
      limit: DELIVERY_BATCH,
      also: sql`attempts = attempts + 1, updated_at = ${now}`,
    });
  }

  async #deliver(row: Row, lease: Lease): Promise<void> {
    if (row.message_type !== NTU_MESSAGE_TYPE) return this.#deliverToIssuer(row, lease);
    const endpoint = await this.#db
      .selectFrom('mc_clients')
      .select('notification_url')
      .where('consumer_key', '=', row.issuer_consumer_key)
      .executeTakeFirst();
    const url = endpoint?.notification_url;
    if (!url) return this.#settle(row, lease, undefined, 'retry', 'NO_NOTIFICATION_URL');

    let response: Response;
    try {
      response = await signedPost(url, row.body, {
        signer: this.#options.signer,
        ...(this.#options.fetch && { fetch: this.#options.fetch }),
        timeoutMs: this.#timeoutMs(),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      return this.#settle(row, lease, undefined, 'retry', timedOut ? 'TIMEOUT' : 'NETWORK_ERROR');
    }
    const { status } = response;
    const code = await errorCodeOf(response);
    if (status >= 200 && status < 300) return this.#settle(row, lease, status, 'delivered', undefined);
    const error = `HTTP_${status}${code ? ` ${code}` : ''}`;
    const retry = status >= 500 || RETRYABLE_STATUSES.has(status);
    return this.#settle(row, lease, status, retry ? 'retry' : 'rejected', error);
  }

  /**
   * A notification to an issuer, over its Pre-Digitization web services: a
   * 2xx answering this requestId is delivered; the spec's ErrorsResponse (or
   * any 4xx but 408/425/429) is final; a timeout, a 5xx, no connection or an
   * answer MDES cannot read is tried again.
   */
  async #deliverToIssuer(row: Row, lease: Lease): Promise<void> {
    const issuer = await this.#options.issuers.of(row.issuer_consumer_key);
    if (!issuer) return this.#settle(row, lease, undefined, 'retry', 'NO_PRE_DIGITIZATION_URL');
    const data =
      row.payload_sealed === null
        ? undefined
        : this.#options.sealer.open(row.payload_sealed, row.notification_id);
    let result: PreDigitizationResult<unknown>;
    if (row.message_type === ISSUER_MESSAGE_TYPES.notifyServiceActivated) {
      const request = JSON.parse(row.body) as ClearNotifyServiceActivatedRequest;
      result = await issuer.notifyServiceActivated(
        request,
        JSON.parse(data ?? '{}') as ActivatedFundingAccountData,
      );
    } else if (row.message_type === ISSUER_MESSAGE_TYPES.notifySuspiciousEvents) {
      result = await issuer.notifySuspiciousEvents(JSON.parse(row.body) as NotifySuspiciousEventsRequest);
    } else {
      const request = JSON.parse(row.body) as ClearNotifyTokenUpdatedRequest;
      const byToken = JSON.parse(data ?? '{}') as Record<string, UpdatedFundingAccountData>;
      result = await issuer.notifyTokenUpdated({
        ...request,
        tokens: request.tokens.map((token) => {
          const fundingAccountData = byToken[token.tokenUniqueReference];
          return fundingAccountData ? { ...token, fundingAccountData } : token;
        }),
      });
    }
    if (result.ok) return this.#settle(row, lease, result.status, 'delivered', undefined);
    const { failure } = result;
    const status = failure.kind === 'http' ? failure.status : undefined;
    const outcome =
      failure.kind === 'http' && failure.status < 500 && !RETRYABLE_STATUSES.has(failure.status)
        ? 'rejected'
        : 'retry';
    return this.#settle(row, lease, status, outcome, failureCode(failure));
  }

  async #settle(
    row: Row,
    lease: Lease,
    status: number | undefined,
    outcomeAsked: DeliveryAttempt['outcome'],
    errorAsked: string | undefined,
  ): Promise<void> {
    let outcome = outcomeAsked;
    let error = errorAsked;
    // A token requestor is retried a bounded number of times: every notice
    // carries the token's whole state, so the next one (or its searchTokens)
    // brings it up to date, and one that is gone for good holds nothing up.
    if (
      outcome === 'retry' &&
      row.message_type === NTU_MESSAGE_TYPE &&
      row.attempts >= (this.#options.tokenRequestorMaxAttempts ?? 10)
    ) {
      outcome = 'rejected';
      error = `GAVE_UP ${error ?? ''}`.trim();
    }
    const now = this.#options.clock.now();
    const delay = retryDelay(
      row.attempts,
      this.#options.retryBaseMs ?? 5_000,
      this.#options.retryCapMs ?? 3_600_000,
    );
    // A worker whose lease ran out (and whose row another worker took) changes nothing.
    await this.#leased.settle(row.notification_id, lease, {
      updated_at: now,
      last_error: error ?? null,
      ...(outcome === 'delivered' && { state: 'delivered', delivered_at: now }),
      ...(outcome === 'rejected' && { state: 'rejected' }),
      ...(outcome === 'retry' && { next_attempt_at: new Date(now.getTime() + delay) }),
    });
    this.#options.onAttempt?.({
      notificationId: row.notification_id,
      messageType: row.message_type,
      attempt: row.attempts,
      status,
      outcome,
      error,
    });
  }

  #timeoutMs(): number {
    return this.#options.timeoutMs ?? 10_000;
  }
}

/** One row of the outbox: who it is, what it is, which token, the body, and card data sealed apart. */
interface OutboxMessage {
  notificationId: string;
  messageType: McNotificationsTable['message_type'];
  tokenUniqueReference: string;
  body: string;
  payloadSealed?: Buffer | null;
}

/** A notification to an issuer, in clear: the outbox seals its card data. */
export type IssuerMessage = {
  issuerConsumerKey: string;
  tokenUniqueReference: string;
  /** One message per key: NSA once per token, NTU once per change. */
  eventKey: string;
} & (
  | {
      operation: 'notifyServiceActivated';
      request: ClearNotifyServiceActivatedRequest;
      data: ActivatedFundingAccountData;
    }
  | { operation: 'notifyTokenUpdated'; request: ClearNotifyTokenUpdatedRequest }
  /** No card data: the token's reference, its status and ATC counters. */
  | { operation: 'notifySuspiciousEvents'; request: NotifySuspiciousEventsRequest }
);

/** The body to keep as it is, and the card data (JSON) to seal. */
function splitCardData(message: IssuerMessage): { body: string; data: string | undefined } {
  if (message.operation === 'notifyServiceActivated') {
    return { body: JSON.stringify(message.request), data: JSON.stringify(message.data) };
  }
  if (message.operation === 'notifySuspiciousEvents') {
    return { body: JSON.stringify(message.request), data: undefined };
  }
  const byToken: Record<string, UpdatedFundingAccountData> = {};
  const tokens = message.request.tokens.map(({ fundingAccountData, ...token }) => {
    if (fundingAccountData) byToken[token.tokenUniqueReference] = fundingAccountData;
    return token;
  });
  return {
    body: JSON.stringify({ ...message.request, tokens }),
    data: Object.keys(byToken).length === 0 ? undefined : JSON.stringify(byToken),
  };
}

/** What went wrong, for `last_error`: codes, never a body. */
function failureCode(failure: PreDigitizationFailure): string {
  switch (failure.kind) {
    case 'timeout':
      return 'TIMEOUT';
    case 'network':
      return `NETWORK_ERROR ${failure.code}`;
    case 'http':
      return `HTTP_${failure.status}${failure.error?.errorCode ? ` ${failure.error.errorCode}` : ''}`;
    case 'invalid-answer':
      return 'ANSWER_INVALID';
  }
}

/** The issuer's error code from pushprov's error envelope, for the record; the body is read either way. */
async function errorCodeOf(response: Response): Promise<string | undefined> {
  let text: string;
  try {
    text = await response.text();
  } catch {
    return undefined;
  }
  try {
    // pushprov's issuer envelope, or a token requestor's answer in MDES's ErrorWrapper.
    const body = JSON.parse(text) as {
      error?: { code?: unknown };
      errors?: { reasonCode?: unknown }[];
    } | null;
    const code = body?.error?.code ?? body?.errors?.[0]?.reasonCode;
    return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}
