import type { Kysely, Selectable } from 'kysely';
import { retryDelay } from '../../core/backoff.js';
import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { NotifyTokenUpdatedRequest } from '../../mastercard/digital-enablement/schemas.js';
import { signedPost } from '../../mastercard/oauth/signed-post.js';
import type { OAuthSigner } from '../../mastercard/oauth/signer.js';
import { NTU_MESSAGE_TYPE, type TokenUpdatedNotice } from '../../mastercard/token-requestor-notifications.js';
import { encrypterOfRow } from '../digital-enablement/encryption.js';
import type { TokenCreatedEvent } from '../token-connect/tokenize.js';
import { type Notification, tokenizationComplete } from './envelope.js';
import type { McNotificationsTable, NotificationsSchema } from './tables.js';

export interface OutboxOptions {
  db: Kysely<unknown>;
  clock: Clock;
  /** Signs each attempt as MDES (OAuth 1.0a with Mastercard's signing key), with a fresh nonce. */
  signer: Pick<OAuthSigner, 'authorizationHeader'>;
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
  readonly #o: OutboxOptions;

  constructor(options: OutboxOptions) {
    this.#db = options.db as Kysely<NotificationsSchema>;
    this.#o = options;
  }

  /** Records a Tokenization Complete Notification for a new token; a second call for the token is a no-op. */
  async tokenizationComplete(event: TokenCreatedEvent): Promise<void> {
    await this.#enqueue(
      event.issuerConsumerKey,
      issuerMessage(tokenizationComplete(newId('ntf'), event)),
      `TOKENIZATION_COMPLETE_NOTIFICATION:${event.tokenUniqueReference}`,
    );
  }

  /**
   * Records a Token Event Notification; each is a message of its own. Pass
   * the transaction that changed the token, so the change and its
   * announcement commit together.
   */
  async tokenEvent(
    issuerConsumerKey: string,
    notification: Notification,
    trx?: Kysely<unknown>,
  ): Promise<void> {
    await this.#enqueue(
      issuerConsumerKey,
      issuerMessage(notification),
      `${notification.messageType}:${notification.notificationId}`,
      trx as Kysely<NotificationsSchema> | undefined,
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
        notificationId: notice.requestId,
        messageType: NTU_MESSAGE_TYPE,
        tokenUniqueReference: token.tokenUniqueReference,
        body: JSON.stringify(request),
      },
      `${NTU_MESSAGE_TYPE}:${notice.requestId}`,
      db,
    );
  }

  /**
   * Announces tokens that have no Tokenization Complete Notification: the
   * token and its announcement are written one after the other, so a crash
   * in between leaves a token only this finds. Run at start-up.
   */
  async recover(batch = 500): Promise<number> {
    let recovered = 0;
    for (;;) {
      const missing = await this.#db
        .selectFrom('mc_tokens as t')
        .leftJoin('mc_receipts as r', 'r.receipt', 't.receipt')
        .select([
          't.token_unique_reference',
          't.token_requestor_id',
          't.issuer_consumer_key',
          't.account_last_four',
          't.token_last_four',
          't.created_at',
          'r.receipt',
          'r.push_account_id',
        ])
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('mc_notifications as n')
                .select('n.seq')
                .whereRef('n.token_unique_reference', '=', 't.token_unique_reference')
                .where('n.message_type', '=', 'TOKENIZATION_COMPLETE_NOTIFICATION'),
            ),
          ),
        )
        .orderBy('t.created_at')
        .limit(batch)
        .execute();
      for (const t of missing) {
        await this.tokenizationComplete({
          tokenUniqueReference: t.token_unique_reference,
          tokenRequestorId: t.token_requestor_id,
          issuerConsumerKey: t.issuer_consumer_key,
          pushAccountReceipt: t.receipt ?? undefined,
          pushAccountId: t.push_account_id ?? undefined,
          accountLastFour: t.account_last_four,
          tokenLastFour: t.token_last_four,
          createdAt: t.created_at,
        });
      }
      recovered += missing.length;
      if (missing.length < batch) return recovered;
    }
  }

  /** Delivers the next due notification, if any; resolves 1 when one was attempted, 0 otherwise. */
  async step(): Promise<number> {
    const row = await this.#claim();
    if (!row) return 0;
    await this.#deliver(row);
    return 1;
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
    const now = this.#o.clock.now();
    await db
      .insertInto('mc_notifications')
      .values({
        notification_id: message.notificationId,
        issuer_consumer_key: consumerKey,
        message_type: message.messageType,
        event_key: eventKey,
        token_unique_reference: message.tokenUniqueReference,
        body: message.body,
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
   * Takes the oldest due notification whose token has no earlier one still
   * pending for the same recipient, and leases it: until the lease ends, no
   * other worker takes it, and the later notifications of its token to that
   * recipient keep waiting (a merchant that is down does not hold up the issuer).
   */
  async #claim(): Promise<Row | undefined> {
    const now = this.#o.clock.now();
    const leaseUntil = new Date(now.getTime() + this.#timeoutMs() + LEASE_MARGIN_MS);
    return this.#db
      .updateTable('mc_notifications')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: leaseUntil, updated_at: now }))
      .where('notification_id', '=', (eb) =>
        eb
          .selectFrom('mc_notifications as n')
          .select('n.notification_id')
          .where('n.state', '=', 'pending')
          .where('n.next_attempt_at', '<=', now)
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('mc_notifications as e')
                  .select('e.seq')
                  .whereRef('e.token_unique_reference', '=', 'n.token_unique_reference')
                  .whereRef('e.issuer_consumer_key', '=', 'n.issuer_consumer_key')
                  .where('e.state', '=', 'pending')
                  .whereRef('e.seq', '<', 'n.seq'),
              ),
            ),
          )
          .orderBy('n.seq')
          .limit(1)
          .forUpdate()
          .skipLocked(),
      )
      .returningAll()
      .executeTakeFirst();
  }

  async #deliver(row: Row): Promise<void> {
    const endpoint = await this.#db
      .selectFrom('mc_clients')
      .select('notification_url')
      .where('consumer_key', '=', row.issuer_consumer_key)
      .executeTakeFirst();
    const url = endpoint?.notification_url;
    if (!url) return this.#settle(row, undefined, 'retry', 'NO_NOTIFICATION_URL');

    let response: Response;
    try {
      response = await signedPost(url, row.body, {
        signer: this.#o.signer,
        ...(this.#o.fetch && { fetch: this.#o.fetch }),
        timeoutMs: this.#timeoutMs(),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      return this.#settle(row, undefined, 'retry', timedOut ? 'TIMEOUT' : 'NETWORK_ERROR');
    }
    const { status } = response;
    const code = await errorCodeOf(response);
    if (status >= 200 && status < 300) return this.#settle(row, status, 'delivered', undefined);
    const error = `HTTP_${status}${code ? ` ${code}` : ''}`;
    const retry = status >= 500 || RETRYABLE_STATUSES.has(status);
    return this.#settle(row, status, retry ? 'retry' : 'rejected', error);
  }

  async #settle(
    row: Row,
    status: number | undefined,
    outcomeAsked: DeliveryAttempt['outcome'],
    errorAsked: string | undefined,
  ): Promise<void> {
    let outcome = outcomeAsked;
    let error = errorAsked;
    const now = this.#o.clock.now();
    const delay = retryDelay(row.attempts, this.#o.retryBaseMs ?? 5_000, this.#o.retryCapMs ?? 3_600_000);
    // A token requestor is retried a bounded number of times: every notice
    // carries the token's whole state, so the next one (or its searchTokens)
    // brings it up to date, and one that is gone for good holds nothing up.
    if (
      outcome === 'retry' &&
      row.message_type === NTU_MESSAGE_TYPE &&
      row.attempts >= (this.#o.tokenRequestorMaxAttempts ?? 10)
    ) {
      outcome = 'rejected';
      error = `GAVE_UP ${error ?? ''}`.trim();
    }
    await this.#db
      .updateTable('mc_notifications')
      .set({
        updated_at: now,
        last_error: error ?? null,
        ...(outcome === 'delivered' && { state: 'delivered', delivered_at: now }),
        ...(outcome === 'rejected' && { state: 'rejected' }),
        ...(outcome === 'retry' && { next_attempt_at: new Date(now.getTime() + delay) }),
      })
      .where('notification_id', '=', row.notification_id)
      // A worker whose lease ran out (and whose row another worker took) changes nothing.
      .where('state', '=', 'pending')
      .where('attempts', '=', row.attempts)
      .execute();
    this.#o.onAttempt?.({
      notificationId: row.notification_id,
      messageType: row.message_type,
      attempt: row.attempts,
      status,
      outcome,
      error,
    });
  }

  #timeoutMs(): number {
    return this.#o.timeoutMs ?? 10_000;
  }
}

/** One row of the outbox: who it is, what it is, which token, and the signed body. */
interface OutboxMessage {
  notificationId: string;
  messageType: McNotificationsTable['message_type'];
  tokenUniqueReference: string;
  body: string;
}

const issuerMessage = (notification: Notification): OutboxMessage => ({
  notificationId: notification.notificationId,
  messageType: notification.messageType,
  tokenUniqueReference: notification.token.tokenUniqueReference,
  body: JSON.stringify(notification),
});

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
