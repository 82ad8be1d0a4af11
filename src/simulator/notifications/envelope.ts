import type {
  TokenEvent,
  TokenEventNotification,
  TokenFacts,
  TokenizationCompleteNotification,
} from '../../mastercard/mdes/messages.js';
import type { TokenCreatedEvent } from '../token-connect/tokenize.js';

/**
 * The messages the simulated MDES writes to its outbox, in the wire format
 * of src/mastercard/mdes/messages.ts (the issuer's side of the contract).
 */
export type Notification = TokenizationCompleteNotification | TokenEventNotification;

/** MDES's Tokenization Complete Notification: a token now exists for one of the issuer's cards. */
export function tokenizationComplete(
  notificationId: string,
  event: TokenCreatedEvent,
): TokenizationCompleteNotification {
  return {
    notificationId,
    messageType: 'TOKENIZATION_COMPLETE_NOTIFICATION',
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

/** MDES's Token Event Notification: one of the issuer's tokens changed. */
export function tokenEventNotification(
  notificationId: string,
  at: Date,
  token: TokenFacts,
  tokenEvent: TokenEvent,
): TokenEventNotification {
  return {
    notificationId,
    messageType: 'TOKEN_EVENT_NOTIFICATION',
    timestamp: at.toISOString(),
    token,
    tokenEvent,
  };
}
