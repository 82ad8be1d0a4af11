import type { Clock } from '../../core/clock.js';
import type { DestinationKind } from '../../domain/provisioning.js';
import type { AuditLog } from '../../store/audit.js';
import type { ProvisioningRepository } from '../../store/provisionings.js';
import type { TokenRepository } from '../../store/tokens/tokens.js';
import type { StoreTransaction } from '../../store/transaction.js';
import type { ActivatedToken, TokenNotifications, TokenUpdate } from '../mdes/notifications.js';
import type { LockedPushCard, TokenCreated } from '../provisioning/lifecycle.js';

/** What a new token of one of its pushes completes (ProvisioningService); resolves false when it is not that push's. */
interface PushCompletion {
  completeCard(found: LockedPushCard, event: TokenCreated, tx: StoreTransaction): Promise<boolean>;
}

export interface TokenSyncOptions {
  provisioning: PushCompletion;
  /** The push records: a token's record is written in the transaction that completes its push. */
  pushes: Pick<ProvisioningRepository, 'lockCard' | 'transaction'>;
  tokens: TokenRepository;
  audit: AuditLog;
  clock: Clock;
  /** Click to Pay's token requestor id: a token of it not made by a push is still a Click to Pay one. */
  clickToPayTokenRequestorId: string;
}

/**
 * Keeps the issuer's record of each token from MDES's notifications: Notify
 * Service Activated creates the record (card, token requestor, ACTIVE) and
 * completes the push that brought it, Notify Token Updated moves its status.
 * Both are idempotent (a repeated notification finds the token already in
 * its state), and a deleted token stays deleted. Every change is audited
 * with the token's id as subject, which is the token's history.
 */
export class TokenSync implements TokenNotifications {
  readonly #options: TokenSyncOptions;

  constructor(options: TokenSyncOptions) {
    this.#options = options;
  }

  /** Reaches the push that brought the token (if any) once, locked, and completes it in the transaction that records the token. */
  async tokenActivated(token: ActivatedToken): Promise<boolean> {
    const { provisioning, pushes, tokens, audit, clock, clickToPayTokenRequestorId } = this.#options;
    await pushes.transaction(async (tx) => {
      const push = token.provisioningId
        ? await pushes.lockCard(token.provisioningId, token.cardId, tx)
        : undefined;
      if (push) {
        await provisioning.completeCard(
          push,
          {
            provisioningId: push.provisioning.id,
            cardId: token.cardId,
            tokenRequestorId: token.tokenRequestorId,
            tokenUniqueReference: token.tokenUniqueReference,
          },
          tx,
        );
      }
      const destination: DestinationKind =
        push?.provisioning.destination ??
        (token.tokenRequestorId === clickToPayTokenRequestorId ? 'click_to_pay' : 'merchant');
      const created = await tokens.recordCreated(
        {
          tokenUniqueReference: token.tokenUniqueReference,
          cardId: token.cardId,
          tokenRequestorId: token.tokenRequestorId,
          tokenRequestorName:
            push?.provisioning.tokenRequestorName ?? token.tokenRequestorName ?? token.tokenRequestorId,
          destination,
          tokenPanSuffix: token.tokenPanSuffix,
          createdAt: clock.now(),
        },
        tx,
      );
      if (!created) return;
      await audit.append(
        {
          actor: 'mdes',
          action: 'token.created',
          subject: created.id,
          outcome: created.status,
          details: {
            cardId: token.cardId,
            tokenRequestorId: token.tokenRequestorId,
            requestId: token.requestId,
            ...(push && { provisioningId: push.provisioning.id }),
            ...(token.decisionMadeBy && { decisionMadeBy: token.decisionMadeBy }),
          },
        },
        tx,
      );
    });
    return true;
  }

  async tokenUpdated(update: TokenUpdate): Promise<boolean> {
    const { tokens, audit, clock } = this.#options;
    return tokens.transaction(async (tx) => {
      const record = await tokens.byReference(update.tokenUniqueReference, tx);
      if (!record) return false;
      // A deleted token stays deleted; one already as the update says is left as it is (a repeat).
      if (record.status === 'DELETED') return true;
      const status = update.status ?? record.status;
      const suffix = update.tokenPanSuffix ?? record.tokenPanSuffix;
      // The same update again (a redelivery under another requestId) is a repeat; an account update is news.
      if (
        status === record.status &&
        suffix === record.tokenPanSuffix &&
        update.eventType !== 'ACCOUNT_UPDATED'
      ) {
        return true;
      }
      await tokens.update(
        record.id,
        {
          status,
          tokenPanSuffix: suffix,
          lastEvent: update.eventType,
          lastEventAt: update.at,
          now: clock.now(),
        },
        tx,
      );
      await audit.append(
        {
          actor: 'mdes',
          action: `token.${update.eventType.toLowerCase()}`,
          subject: record.id,
          outcome: status,
          details: {
            cardId: record.cardId,
            tokenRequestorId: record.tokenRequestorId,
            causedBy: update.causedBy,
            requestId: update.requestId,
          },
        },
        tx,
      );
      return true;
    });
  }
}
