import type { Clock } from '../../core/clock.js';
import type { OpenedRequests } from '../../mastercard/pre-digitization/requests.js';
import type { NotifySuspiciousEventsResponse } from '../../mastercard/pre-digitization/schemas.js';
import type { AuditLog } from '../../store/audit.js';
import type { MdesNotificationLog } from '../../store/mdes/notifications.js';
import type { SuspiciousEventLog } from '../../store/mdes/suspicious-events.js';
import { AUTHORIZE_SERVICE } from './authorize.js';
import type { NotificationOutcome } from './notifications.js';

export interface SuspiciousEventsOptions {
  log: Pick<MdesNotificationLog, 'seen' | 'record' | 'decisionFor'>;
  events: Pick<SuspiciousEventLog, 'record'>;
  tokens: {
    byReference(
      tokenUniqueReference: string,
    ): Promise<{ id: string; cardId: string; tokenRequestorId: string } | undefined>;
  };
  audit: Pick<AuditLog, 'append'>;
  clock: Clock;
}

const NOTIFY_SUSPICIOUS_EVENTS = 'notifySuspiciousEvents';

/**
 * MDES's Notify Suspicious Events: suspicious ATC values it saw while
 * replenishing a cloud token's keys. The spec calls the notification
 * "informative" and leaves the reaction to the issuer's risk strategy
 * (suspend through Customer Service, or wait for the wallet provider's
 * analysis, as it "can be an implementation issue on the wallet"), so
 * pushprov records and audits it for the bank's risk team and changes no
 * token. Once per requestId; a token the issuer does not know is recorded
 * the same, tied to no card.
 */
export class SuspiciousEvents {
  readonly #options: SuspiciousEventsOptions;

  constructor(options: SuspiciousEventsOptions) {
    this.#options = options;
  }

  async notifySuspiciousEvents({
    request,
  }: OpenedRequests['notifySuspiciousEvents']): Promise<
    NotifySuspiciousEventsResponse & { outcome: NotificationOutcome }
  > {
    const { log, events, tokens, audit, clock } = this.#options;
    const { requestId, tokenUniqueReference } = request;
    const seen = await log.seen(requestId, NOTIFY_SUSPICIOUS_EVENTS);
    if (seen) return { responseId: requestId, outcome: seen.outcome as NotificationOutcome };
    const now = clock.now();
    // A token not active yet has no record; its Authorize Service decision still names the card.
    const token = await tokens.byReference(tokenUniqueReference);
    const decision = token ? undefined : await log.decisionFor(tokenUniqueReference, AUTHORIZE_SERVICE);
    const cardId = token?.cardId ?? decision?.cardId;
    const tokenRequestorId = token?.tokenRequestorId ?? decision?.tokenRequestorId ?? '';
    const { eventName, walletAtcStatus, systemAtcStatus } = request.events;
    await events.record({
      requestId,
      tokenUniqueReference,
      ...(token && { tokenId: token.id }),
      ...(cardId && { cardId }),
      ...(request.paymentAppInstanceId && { paymentAppInstanceId: request.paymentAppInstanceId }),
      tokenStatus: request.status,
      eventName,
      ...(walletAtcStatus && { walletAtcStatus }),
      ...(systemAtcStatus && { systemAtcStatus }),
      receivedAt: now,
    });
    const outcome: NotificationOutcome = cardId ? 'matched' : 'unmatched';
    const recorded = await log.record({
      notificationId: requestId,
      messageType: NOTIFY_SUSPICIOUS_EVENTS,
      tokenUniqueReference,
      tokenRequestorId,
      outcome,
      reasonCode: eventName,
      ...(cardId && { cardId }),
      occurredAt: now,
      receivedAt: now,
    });
    // A concurrent copy of this request was recorded first: it audits.
    if (!recorded) return this.notifySuspiciousEvents({ request });
    await audit.append({
      actor: 'mdes',
      action: 'token.suspicious_events_reported',
      subject: token?.id ?? tokenUniqueReference,
      outcome,
      details: {
        tokenUniqueReference,
        eventName,
        tokenStatus: request.status,
        ...(cardId && { cardId }),
        ...(tokenRequestorId && { tokenRequestorId }),
        // How many counters each list named; the lists themselves are in mdes_suspicious_events.
        ...(walletAtcStatus && { walletAtcStatus: counts(walletAtcStatus) }),
        ...(systemAtcStatus && { systemAtcStatus: counts(systemAtcStatus) }),
      },
    });
    return { responseId: requestId, outcome };
  }
}

const counts = (lists: Readonly<Record<string, readonly string[] | undefined>>): Record<string, number> =>
  Object.fromEntries(Object.entries(lists).map(([name, atcs]) => [name, atcs?.length ?? 0]));
