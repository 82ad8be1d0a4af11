import type { Clock } from '../../core/clock.js';
import { lastFour } from '../../core/luhn.js';
import type { OpenedRequests } from '../../mastercard/pre-digitization/requests.js';
import type { UpdatedToken } from '../../mastercard/pre-digitization/schemas.js';
import type { MdesNotificationLog } from '../../store/mdes/notifications.js';
import type { TokenStatus } from '../../store/tokens/tokens.js';
import { AUTHORIZE_SERVICE } from './authorize.js';

/** A token MDES activated for one of the issuer's cards (Notify Service Activated). */
export interface ActivatedToken {
  requestId: string;
  tokenUniqueReference: string;
  cardId: string;
  /** The push the Authorize Service decision matched, when it was one of the issuer's. */
  provisioningId: string | undefined;
  tokenRequestorId: string;
  /** `consumerFacingEntityName`, when MDES sent it. */
  tokenRequestorName: string | undefined;
  tokenPanSuffix: string;
  /** `decisionMadeBy`: who decided the tokenization, as MDES reports it. */
  decisionMadeBy: string | undefined;
  activatedAt: Date;
}

/** What happened to a token, as pushprov records it from a Notify Token Updated. */
type TokenEventType = 'SUSPENDED' | 'RESUMED' | 'DELETED' | 'TOKEN_UPDATED' | 'ACCOUNT_UPDATED';

export interface TokenUpdate {
  requestId: string;
  tokenUniqueReference: string;
  eventType: TokenEventType;
  /** The token's status afterwards; undefined: unchanged. */
  status: TokenStatus | undefined;
  /** `suspendedBy`, or MDES's reason code when nobody in particular asked. */
  causedBy: string;
  /** After a redigitization: the new token's last four digits. */
  tokenPanSuffix?: string;
  at: Date;
}

/** Where MDES's notifications land: the issuer's tokens (src/service/tokens/sync.ts). */
export interface TokenNotifications {
  /** Resolves false when the token cannot be tied to one of the issuer's cards: nothing changed. */
  tokenActivated(token: ActivatedToken): Promise<boolean>;
  /** Resolves false for a token the issuer has no record of: nothing changed. */
  tokenUpdated(update: TokenUpdate): Promise<boolean>;
}

export interface MdesNotificationsOptions {
  log: Pick<MdesNotificationLog, 'seen' | 'record' | 'decisionFor'>;
  tokens: TokenNotifications;
  /** The card with this PAN, for a token whose Authorize Service decision is not on record. */
  cards: { findByPan(pan: string): Promise<{ id: string } | undefined> };
  clock: Clock;
}

const NOTIFY_SERVICE_ACTIVATED = 'notifyServiceActivated';
const NOTIFY_TOKEN_UPDATED = 'notifyTokenUpdated';

/** `matched`: it changed (or had changed) one of the issuer's records; `unmatched`: not the issuer's. */
export type NotificationOutcome = 'matched' | 'unmatched';

/**
 * Takes MDES's notifications (Pre-Digitization Notify Service Activated and
 * Notify Token Updated), each once by its requestId: a requestId seen
 * before is acknowledged again without any change. The work is done before
 * the request is recorded and is itself idempotent, so a crash in between
 * is healed by MDES sending it again. A token the issuer cannot tie to one
 * of its cards is recorded as `unmatched` and changes nothing.
 */
export class MdesNotifications {
  readonly #options: MdesNotificationsOptions;

  constructor(options: MdesNotificationsOptions) {
    this.#options = options;
  }

  async notifyServiceActivated({
    request,
    fundingAccount,
  }: OpenedRequests['notifyServiceActivated']): Promise<{
    responseId: string;
    outcome: NotificationOutcome;
  }> {
    const { log, tokens, cards, clock } = this.#options;
    const { requestId } = request;
    const tokenUniqueReference = request.fundingAccountInfo.tokenUniqueReference;
    const seen = await log.seen(requestId, NOTIFY_SERVICE_ACTIVATED);
    if (seen) return { responseId: requestId, outcome: seen.outcome as NotificationOutcome };
    // The decision MDES asked for names the card and the push; without one on record, the card is found by its PAN.
    const decision = await log.decisionFor(tokenUniqueReference, AUTHORIZE_SERVICE);
    const cardId =
      decision?.cardId ?? (await cards.findByPan(fundingAccount.cardAccountData.accountNumber))?.id;
    const matched =
      cardId !== undefined &&
      (await tokens.tokenActivated({
        requestId,
        tokenUniqueReference,
        cardId,
        provisioningId: decision?.provisioningId,
        tokenRequestorId: request.tokenRequestorId,
        tokenRequestorName: request.consumerFacingEntityName,
        tokenPanSuffix: lastFour(fundingAccount.tokenData.token),
        decisionMadeBy: request.decisionMadeBy,
        activatedAt: new Date(request.tokenActivatedDateTime),
      }));
    const outcome: NotificationOutcome = matched ? 'matched' : 'unmatched';
    await log.record({
      notificationId: requestId,
      messageType: NOTIFY_SERVICE_ACTIVATED,
      tokenUniqueReference,
      tokenRequestorId: request.tokenRequestorId,
      outcome,
      ...(request.decisionMadeBy && { reasonCode: request.decisionMadeBy }),
      ...(cardId && { cardId }),
      ...(decision?.provisioningId && { provisioningId: decision.provisioningId }),
      occurredAt: new Date(request.tokenActivatedDateTime),
      receivedAt: clock.now(),
    });
    return { responseId: requestId, outcome };
  }

  async notifyTokenUpdated({
    request,
    tokens: updated,
  }: OpenedRequests['notifyTokenUpdated']): Promise<{ responseId: string; outcome: NotificationOutcome }> {
    const { log, tokens, clock } = this.#options;
    const { requestId, reasonCode } = request;
    const seen = await log.seen(requestId, NOTIFY_TOKEN_UPDATED);
    if (seen) return { responseId: requestId, outcome: seen.outcome as NotificationOutcome };
    const now = clock.now();
    let matched = false;
    for (const { token, fundingAccount } of updated) {
      const update = tokenUpdate(requestId, reasonCode, token, now);
      if (!update) continue;
      const tokenPanSuffix = fundingAccount && lastFour(fundingAccount.tokenData.token);
      const known = await tokens.tokenUpdated({ ...update, ...(tokenPanSuffix && { tokenPanSuffix }) });
      matched ||= known;
    }
    const outcome: NotificationOutcome = matched ? 'matched' : 'unmatched';
    await log.record({
      notificationId: requestId,
      messageType: NOTIFY_TOKEN_UPDATED,
      tokenUniqueReference: updated[0]?.token.tokenUniqueReference ?? '',
      tokenRequestorId: '',
      outcome,
      reasonCode,
      occurredAt: now,
      receivedAt: now,
    });
    return { responseId: requestId, outcome };
  }
}

/**
 * What a Notify Token Updated says of one token, in pushprov's terms. The
 * spec's reason codes apply to every token of the request; a reason that
 * changes nothing pushprov records (a payment channel preference, say)
 * yields undefined. DEACTIVATED is MDES's word for a deleted token.
 */
function tokenUpdate(
  requestId: string,
  reasonCode: string,
  token: UpdatedToken,
  at: Date,
): TokenUpdate | undefined {
  // Several suspenders may hold a token at once (the spec's list); the record names them all.
  const suspenders = token.suspendedBy?.join(',');
  const base = {
    requestId,
    tokenUniqueReference: token.tokenUniqueReference,
    causedBy: suspenders || reasonCode,
    at,
  };
  switch (reasonCode) {
    case 'DELETED_FROM_CONSUMER_APP':
      return { ...base, eventType: 'DELETED', status: 'DELETED', causedBy: 'CARDHOLDER' };
    // A new token for the card (its last four digits from the encrypted tokenData).
    case 'REDIGITIZATION_COMPLETE':
      return { ...base, eventType: 'TOKEN_UPDATED', status: statusOf(token.status) };
    // The same token, now for the replacement card: nothing of the token changes.
    case 'FUNDING_ACCOUNT_UPDATE':
      return { ...base, eventType: 'ACCOUNT_UPDATED', status: statusOf(token.status) };
    default: {
      const status = statusOf(token.status);
      if (status === undefined) return undefined;
      const eventType: TokenEventType =
        status === 'DELETED' ? 'DELETED' : status === 'SUSPENDED' ? 'SUSPENDED' : 'RESUMED';
      return { ...base, eventType, status };
    }
  }
}

/** An INACTIVE token is not yet one the issuer records; other values the spec may add change nothing. */
function statusOf(status: string | undefined): TokenStatus | undefined {
  switch (status) {
    case 'ACTIVE':
      return 'ACTIVE';
    case 'SUSPENDED':
      return 'SUSPENDED';
    case 'DEACTIVATED':
      return 'DELETED';
    default:
      return undefined;
  }
}
