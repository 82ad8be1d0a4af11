import type { TokenCreatedEvent } from '../token-connect/tokenize.js';

/**
 * MDES tells the issuer about its tokens. On Mastercard's network these are
 * ISO 8583 messages; pushprov carries them as signed HTTP JSON named after
 * them. Every message has the same envelope: who it is (`notificationId`,
 * unique, the issuer's deduplication key), what it is (`messageType`), when
 * it happened, and the token it concerns. A message type adds its own member
 * beside `token` (a Token Event Notification its `tokenEvent`, a
 * Tokenization Authorization Request its `authorizationRequest`), so new
 * types leave the envelope as it is. Nothing in it is card data or PII
 * beyond the last four digits of the funding account and of the token.
 * The issuer's side of the contract is src/service/mdes/envelope.ts.
 */
export const MESSAGE_TYPES = {
  tokenizationComplete: 'TOKENIZATION_COMPLETE_NOTIFICATION',
  tokenEvent: 'TOKEN_EVENT_NOTIFICATION',
} as const;
export type MessageType = (typeof MESSAGE_TYPES)[keyof typeof MESSAGE_TYPES];

/** The consumer key MDES signs its notifications with (OAuth 1.0a, Mastercard's signing key). */
export const MDES_NOTIFICATION_CONSUMER_KEY = 'mastercard-mdes';

export interface TokenFacts {
  tokenUniqueReference: string;
  tokenRequestorId: string;
  /** Last four digits of the token. */
  tokenPanSuffix: string;
  /** Last four digits of the funding account. */
  accountPanSuffix: string;
  /** The issuer's pushAccountId, when the token was created from one of its pushes. */
  pushAccountId?: string;
}

export interface Notification {
  notificationId: string;
  messageType: MessageType;
  /** When the event happened, ISO 8601 UTC. */
  timestamp: string;
  token: TokenFacts;
}

/** MDES's Tokenization Complete Notification: a token now exists for one of the issuer's cards. */
export function tokenizationComplete(notificationId: string, event: TokenCreatedEvent): Notification {
  return {
    notificationId,
    messageType: MESSAGE_TYPES.tokenizationComplete,
    timestamp: event.createdAt.toISOString(),
    token: {
      tokenUniqueReference: event.tokenUniqueReference,
      tokenRequestorId: event.tokenRequestorId,
      tokenPanSuffix: event.tokenLastFour,
      accountPanSuffix: event.accountLastFour,
      ...(event.pushAccountId === undefined ? {} : { pushAccountId: event.pushAccountId }),
    },
  };
}

// Token Event Notifications (src/simulator/token-management).

/** What happened to a token after its creation. */
export type TokenEventType =
  | 'ACTIVATED'
  | 'SUSPENDED'
  | 'RESUMED'
  | 'DELETED'
  | 'PAN_UPDATED'
  | 'EXPIRY_UPDATED';

/** Who asked for the change, as MDES's lifecycle operations name it. */
export type CausedBy = 'CARDHOLDER' | 'ISSUER' | 'TOKEN_REQUESTOR' | 'MASTERCARD';

export interface TokenEvent {
  eventType: TokenEventType;
  causedBy: CausedBy;
  /** The token's status after the event. */
  status: 'ACTIVE' | 'SUSPENDED' | 'DELETED';
}

export interface TokenEventNotification extends Notification {
  tokenEvent: TokenEvent;
}

/** MDES's Token Event Notification: one of the issuer's tokens changed. */
export function tokenEventNotification(
  notificationId: string,
  at: Date,
  token: TokenFacts,
  tokenEvent: TokenEvent,
): TokenEventNotification {
  return {
    notificationId,
    messageType: MESSAGE_TYPES.tokenEvent,
    timestamp: at.toISOString(),
    token,
    tokenEvent,
  };
}
