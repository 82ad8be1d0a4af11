import type { Clock } from '../../core/clock.js';
import type {
  MdesNotification,
  NotificationAcknowledgement,
  TokenEventNotification,
} from '../../mastercard/mdes/messages.js';
import type { MdesNotificationLog } from '../../store/mdes/notifications.js';

/**
 * What a Tokenization Complete Notification completes: ProvisioningService
 * implements it (a Click to Pay enrolment or a merchant push ends when MDES
 * reports the token). Resolves false when the push is not the issuer's.
 */
export interface TokenLifecycle {
  tokenCreated(event: {
    pushAccountId: string;
    tokenRequestorId: string;
    tokenUniqueReference: string;
    /** Last four digits of the token, for the issuer's token record. */
    tokenPanSuffix?: string;
  }): Promise<boolean>;
}

/** What a Token Event Notification changes: the issuer's token record (src/service/tokens). */
export interface TokenEvents {
  /** Resolves false for a token the issuer does not know: nothing changed. */
  tokenEvent(notification: TokenEventNotification): Promise<boolean>;
}

export interface MdesNotificationServiceOptions {
  log: MdesNotificationLog;
  tokens: TokenLifecycle;
  /** Without it, Token Event Notifications are recorded as `unmatched` and change nothing. */
  events?: TokenEvents;
  clock: Clock;
}

/** `matched`: one of the issuer's pushes was completed (or already was); `unmatched`: not the issuer's. */
export type NotificationOutcome = 'matched' | 'unmatched';

/**
 * Takes MDES's (already authenticated and validated) notifications, once
 * each: a notificationId seen before is acknowledged again without any
 * change. The work is done before the notification is recorded, and is
 * itself idempotent, so a crash in between is healed by MDES's redelivery.
 */
export class MdesNotificationService {
  readonly #o: MdesNotificationServiceOptions;

  constructor(options: MdesNotificationServiceOptions) {
    this.#o = options;
  }

  async receive(notification: MdesNotification): Promise<NotificationAcknowledgement & { outcome: string }> {
    const { notificationId } = notification;
    const seen = await this.#o.log.seen(notificationId, notification.messageType);
    if (seen) return { notificationId, status: 'ACCEPTED', duplicate: true, outcome: seen.outcome };
    const outcome = await this.#apply(notification);
    const recorded = await this.#o.log.record({
      notificationId,
      messageType: notification.messageType,
      tokenUniqueReference: notification.token.tokenUniqueReference,
      tokenRequestorId: notification.token.tokenRequestorId,
      outcome,
      occurredAt: new Date(notification.timestamp),
      receivedAt: this.#o.clock.now(),
    });
    return { notificationId, status: 'ACCEPTED', duplicate: !recorded, outcome };
  }

  async #apply(notification: MdesNotification): Promise<NotificationOutcome> {
    switch (notification.messageType) {
      case 'TOKENIZATION_COMPLETE_NOTIFICATION': {
        const { pushAccountId, tokenRequestorId, tokenUniqueReference, tokenPanSuffix } = notification.token;
        // A token the cardholder added elsewhere (not pushed by this issuer) completes nothing here.
        if (pushAccountId === undefined) return 'unmatched';
        const ours = await this.#o.tokens.tokenCreated({
          pushAccountId,
          tokenRequestorId,
          tokenUniqueReference,
          tokenPanSuffix,
        });
        return ours ? 'matched' : 'unmatched';
      }
      case 'TOKEN_EVENT_NOTIFICATION': {
        const known = (await this.#o.events?.tokenEvent(notification)) ?? false;
        return known ? 'matched' : 'unmatched';
      }
    }
  }
}
