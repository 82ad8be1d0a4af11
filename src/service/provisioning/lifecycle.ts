import { timingSafeEqual } from 'node:crypto';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { reportedOutcome } from '../../domain/provisioning.js';
import { HandoverError, readResults } from '../../mastercard/token-connect/handover.js';
import type { Provisioning, ProvisioningCard } from '../../store/provisionings.js';
import type { StoreTransaction } from '../../store/transaction.js';
import type { ProvisioningServiceOptions } from './options.js';
import type { ProvisioningQueries } from './queries.js';
import type { Settlement } from './settlement.js';

/** MDES's word that it made a token from one of the issuer's pushes. */
export interface TokenCreated {
  provisioningId: string;
  cardId: string;
  tokenRequestorId: string;
  tokenUniqueReference: string;
}

/** A push and one of its cards, as read under the push's lock. */
export interface LockedPushCard {
  provisioning: Provisioning;
  card: ProvisioningCard;
}

const sameToken = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** What happens to a push after its receipts: the cardholder's return, and MDES's token. */
export class PushLifecycle {
  readonly #options: ProvisioningServiceOptions;
  readonly #queries: ProvisioningQueries;
  readonly #settlement: Settlement;

  constructor(
    options: ProvisioningServiceOptions,
    parts: { queries: ProvisioningQueries; settlement: Settlement },
  ) {
    this.#options = options;
    this.#queries = parts.queries;
    this.#settlement = parts.settlement;
  }

  /**
   * The cardholder is back from the token requestor with one result per
   * receipt (MDESRQ p. 51). The state token proves the callback URL came
   * from this push, the session that it is the same cardholder. A result
   * naming a token is recorded and waits for MDES to confirm the token;
   * any other result ends its card. A malformed result, or one for a
   * receipt of another push, is refused and changes nothing; a late or
   * repeated callback changes nothing either.
   */
  async callback(cardholderId: string, id: string, stateToken: string, query: URLSearchParams) {
    const { repository, audit, clock } = this.#options;
    const p = await repository.getOwned(cardholderId, id);
    const expected = p && (await repository.callbackToken(id));
    if (!p || !expected || !sameToken(stateToken, expected)) {
      throw new NotFoundError('PROVISIONING_NOT_FOUND', 'no such provisioning');
    }
    let results: ReturnType<typeof readResults>;
    try {
      results = readResults(query);
    } catch (error) {
      if (!(error instanceof HandoverError)) throw error;
      throw new ValidationError('CALLBACK_RESULTS_INVALID', error.message);
    }
    const receipts = await repository.receipts(id);
    if (results.some((r) => !receipts.has(r.receipt))) {
      throw new ValidationError('CALLBACK_RESULTS_INVALID', 'a result names a receipt of another push');
    }
    if (results.length === 0 || p.state === 'pending') return this.#queries.view(cardholderId, id);
    const now = clock.now();
    await repository.transaction(async (tx) => {
      await repository.lock(id, tx);
      const current = await repository.get(id, tx);
      if (!current) return;
      const cards = new Map(current.cards.map((c) => [c.cardId, c]));
      const recorded: { cardId: string; result: string; mismatch?: true }[] = [];
      for (const result of results) {
        const card = cards.get(receipts.get(result.receipt) ?? '');
        // A repeated callback, or one for a card that already failed, changes nothing.
        if (!card || card.reportedResult !== null || card.state === 'failed') continue;
        const outcome = reportedOutcome(result.result);
        // Only an open card takes the token requestor's failure; MDES's token outranks it.
        const fails = 'failed' in outcome && card.state === 'receipt_issued';
        const next: ProvisioningCard = fails
          ? { ...card, state: 'failed', errorCode: outcome.failed, reportedResult: result.result }
          : { ...card, reportedResult: result.result };
        await repository.updateCard(
          id,
          card.cardId,
          {
            state: next.state,
            reported: { result: result.result, tokenUniqueReference: result.tokenUniqueReference },
            ...(fails && { errorCode: outcome.failed }),
          },
          tx,
        );
        cards.set(card.cardId, next);
        const mismatch =
          card.tokenUniqueReference !== null &&
          result.tokenUniqueReference !== undefined &&
          card.tokenUniqueReference !== result.tokenUniqueReference;
        recorded.push({
          cardId: card.cardId,
          result: result.result,
          ...(mismatch && { mismatch: true as const }),
        });
      }
      if (recorded.length === 0) return;
      await audit.append(
        {
          actor: cardholderId,
          action: 'provisioning.callback',
          subject: id,
          outcome: current.state,
          details: { results: recorded },
        },
        tx,
      );
      if (current.state === 'receipt_issued') {
        await this.#settlement.settleIfDone(current, [...cards.values()], now, tx);
      }
    });
    return this.#queries.view(cardholderId, id);
  }

  /**
   * MDES reports a token created from one of our pushes (the push its
   * Authorize Service decision matched). That is the authoritative end of a card's
   * push, whether or not the cardholder came back through the callback; the
   * push completes once every card has an outcome. Returns false when the
   * push is not ours; a repeat changes nothing.
   */
  async tokenCreated(event: TokenCreated): Promise<boolean> {
    const { repository } = this.#options;
    return repository.transaction(async (tx) => {
      const found = await repository.lockCard(event.provisioningId, event.cardId, tx);
      return found !== undefined && (await this.completeCard(found, event, tx));
    });
  }

  /** tokenCreated on a push and card already read under lock in `tx`, for a caller that writes more in it. */
  async completeCard(found: LockedPushCard, event: TokenCreated, tx: StoreTransaction): Promise<boolean> {
    const { repository, audit, clock } = this.#options;
    const { provisioning: p, card } = found;
    if (p.tokenRequestorId !== event.tokenRequestorId) return false;
    if (card.tokenUniqueReference === event.tokenUniqueReference) return true;
    await repository.updateCard(
      p.id,
      card.cardId,
      { state: 'completed', tokenUniqueReference: event.tokenUniqueReference, errorCode: null },
      tx,
    );
    const reported = card.reportedTokenUniqueReference;
    await audit.append(
      {
        actor: 'mdes',
        action: 'provisioning.token_created',
        subject: p.id,
        outcome: p.state,
        details: {
          cardId: card.cardId,
          tokenRequestorId: event.tokenRequestorId,
          // The token requestor named another token than the one MDES made: worth a look, never trusted.
          ...(reported && reported !== event.tokenUniqueReference && { reportedTokenMismatch: true }),
        },
      },
      tx,
    );
    const cards = p.cards.map((c) => (c.cardId === card.cardId ? { ...c, state: 'completed' as const } : c));
    await this.#settlement.settleIfDone(p, cards, clock.now(), tx);
    return true;
  }
}
