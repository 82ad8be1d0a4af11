import {
  type CardState,
  nextState,
  type ProvisioningEvent,
  type ProvisioningState,
  settledBy,
} from '../../domain/provisioning.js';
import type { Provisioning } from '../../store/provisionings.js';
import type { StoreTransaction } from '../../store/transaction.js';
import type { ProvisioningServiceOptions } from './options.js';

/** How a card's failure reads in the provisioning's error message (the code is the contract). */
export const CARD_FAILURES: Record<string, string> = {
  RECEIPT_EXPIRED: 'the cardholder did not finish at the token requestor before the receipt expired',
  TOKEN_UNCONFIRMED: 'the token requestor reported a token that Mastercard did not confirm',
  ADDITIONAL_AUTHENTICATION_REQUIRED: 'the token requestor reports the card needs more authentication',
  TOKENIZATION_DECLINED: 'the token requestor reports the tokenization was declined',
  CARDHOLDER_CANCELLED: 'the cardholder or the token requestor cancelled',
  TOKEN_DELETED_BY_TOKEN_REQUESTOR: 'the token requestor deleted the token after a failed authentication',
  ALREADY_SAVED: 'the card was already saved there',
  TOKEN_REQUESTOR_ERROR: 'the token requestor reports an error',
};

/** Where a push ends: failed as a whole, or at what its cards add up to. Each move is audited. */
export class Settlement {
  readonly #options: ProvisioningServiceOptions;

  constructor(options: ProvisioningServiceOptions) {
    this.#options = options;
  }

  /** Fails the push and every card of it with `code`, unless another worker moved it first. */
  async fail(p: Provisioning, event: ProvisioningEvent, code: string, message: string): Promise<void> {
    const { repository, audit, clock } = this.#options;
    const now = clock.now();
    const to = nextState(p.state, event);
    await repository.transaction(async (tx) => {
      const moved = await repository.transition(
        p.id,
        p.state,
        to,
        now,
        { errorCode: code, errorMessage: message },
        tx,
      );
      if (!moved) return;
      for (const c of p.cards)
        await repository.updateCard(p.id, c.cardId, { state: 'failed', errorCode: code }, tx);
      await audit.append(
        {
          actor: 'system',
          action: 'provisioning.push_failed',
          subject: p.id,
          outcome: to,
          details: { code },
        },
        tx,
      );
    });
  }

  /** Moves the push to what its cards add up to, once none is open. */
  async settleIfDone(
    p: Provisioning,
    cards: readonly { state: CardState; errorCode: string | null }[],
    now: Date,
    tx: StoreTransaction,
  ): Promise<void> {
    const event = settledBy(cards);
    if (!event) return;
    let to: ProvisioningState;
    try {
      to = nextState(p.state, event);
    } catch {
      return; // Already where the cards say (a completed push hearing of its second token).
    }
    const errorCode =
      event.type === 'all_refused' ? (cards.find((c) => c.errorCode)?.errorCode ?? null) : null;
    const moved = await this.#options.repository.transition(
      p.id,
      p.state,
      to,
      now,
      to === 'completed'
        ? { completedAt: now, errorCode: null, errorMessage: null }
        : { errorCode, errorMessage: errorCode && CARD_FAILURES[errorCode] },
      tx,
    );
    if (moved) {
      await this.#options.audit.append(
        {
          actor: 'system',
          action: 'provisioning.settled',
          subject: p.id,
          outcome: to,
          details: { errorCode },
        },
        tx,
      );
    }
  }
}
