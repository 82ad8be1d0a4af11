import type { Clock } from '../../core/clock.js';
import type { TokenEventNotification } from '../../mastercard/mdes/messages.js';
import type { AuditLog } from '../../store/audit.js';
import type { ProvisioningRepository } from '../../store/provisionings.js';
import type { TokenRepository } from '../../store/tokens/tokens.js';
import type { TokenEvents, TokenLifecycle } from '../mdes/notifications.js';

export interface TokenRecordsOptions {
  /** What a new token completes (ProvisioningService); its answer is passed on unchanged. */
  provisioning: TokenLifecycle;
  pushes: Pick<ProvisioningRepository, 'findByPushAccountId'>;
  tokens: TokenRepository;
  audit: AuditLog;
  clock: Clock;
}

/**
 * Keeps the issuer's record of each token from MDES's notifications: a
 * Tokenization Complete Notification for one of its pushes creates the
 * record (card, token requestor, ACTIVE), a Token Event Notification moves
 * its status. Both are idempotent (a redelivered event finds the token
 * already in its state), and an event older than the last one applied
 * changes nothing. Every change is audited with the token's id as subject,
 * which is the token's history.
 */
export class TokenRecords implements TokenLifecycle, TokenEvents {
  readonly #o: TokenRecordsOptions;

  constructor(options: TokenRecordsOptions) {
    this.#o = options;
  }

  async tokenCreated(event: Parameters<TokenLifecycle['tokenCreated']>[0]): Promise<boolean> {
    const ours = await this.#o.provisioning.tokenCreated(event);
    if (!ours) return false;
    const found = await this.#o.pushes.findByPushAccountId(event.pushAccountId);
    if (!found) return ours;
    const { provisioning, card } = found;
    await this.#o.tokens.db.transaction().execute(async (tx) => {
      const created = await this.#o.tokens.recordCreated(
        {
          tokenUniqueReference: event.tokenUniqueReference,
          cardId: card.cardId,
          tokenRequestorId: event.tokenRequestorId,
          tokenRequestorName: provisioning.tokenRequestorName,
          destination: provisioning.destination,
          // Every Tokenization Complete Notification carries it; the fallback is for other callers.
          tokenPanSuffix: event.tokenPanSuffix ?? '0000',
          createdAt: this.#o.clock.now(),
        },
        tx,
      );
      if (!created) return;
      await this.#o.audit.append(
        {
          actor: 'mdes',
          action: 'token.created',
          subject: created.id,
          outcome: created.status,
          details: {
            cardId: card.cardId,
            tokenRequestorId: event.tokenRequestorId,
            provisioningId: provisioning.id,
          },
        },
        tx,
      );
    });
    return ours;
  }

  async tokenEvent(notification: TokenEventNotification): Promise<boolean> {
    const { token, tokenEvent } = notification;
    const at = new Date(notification.timestamp);
    return this.#o.tokens.db.transaction().execute(async (tx) => {
      const record = await this.#o.tokens.byReference(token.tokenUniqueReference, tx);
      if (!record) return false;
      // MDES orders a token's events; a late, older one must not undo a newer state.
      if (at.getTime() < record.lastEventAt.getTime()) return true;
      // A deleted token stays deleted; the event already applied (a concurrent redelivery) is not applied twice.
      if (record.status === 'DELETED') return true;
      if (at.getTime() === record.lastEventAt.getTime() && record.lastEvent === tokenEvent.eventType)
        return true;
      await this.#o.tokens.update(
        record.id,
        {
          status: tokenEvent.status,
          tokenPanSuffix: token.tokenPanSuffix,
          lastEvent: tokenEvent.eventType,
          lastEventAt: at,
          now: this.#o.clock.now(),
        },
        tx,
      );
      await this.#o.audit.append(
        {
          actor: 'mdes',
          action: `token.${tokenEvent.eventType.toLowerCase()}`,
          subject: record.id,
          outcome: tokenEvent.status,
          details: {
            cardId: record.cardId,
            tokenRequestorId: record.tokenRequestorId,
            causedBy: tokenEvent.causedBy,
            notificationId: notification.notificationId,
          },
        },
        tx,
      );
      return true;
    });
  }
}
