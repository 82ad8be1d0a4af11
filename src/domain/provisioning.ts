import type { PushOutcome } from '../core/error-codes.js';
import { ConflictError } from '../core/errors.js';
import type { TokenizationResult } from '../mastercard/token-connect/handover.js';

/**
 * The life of one provisioning (one push of one or more cards to one
 * destination). Click to Pay and merchants go the same way since both are
 * token requestors the cardholder is sent to (MDESRQ, Dec 2021):
 *
 *   pending → receipt_issued → completed | failed | expired
 *
 * `pending` is written before Token Connect is called, so a crash or a lost
 * response leaves a record to reconcile, never a push nobody knows about.
 * A push is `completed` once MDES reports a token for one of its cards and
 * every card has an outcome; the token requestor's word alone completes
 * nothing. A token MDES reports later still completes an `expired` or
 * `failed` push: the token exists.
 */
export const PROVISIONING_STATES = ['pending', 'receipt_issued', 'completed', 'failed', 'expired'] as const;
export type ProvisioningState = (typeof PROVISIONING_STATES)[number];

export type DestinationKind = 'click_to_pay' | 'merchant';

export type ProvisioningEvent =
  | { type: 'receipts_issued' }
  | { type: 'push_refused' }
  | { type: 'tokens_confirmed' }
  | { type: 'all_refused' }
  | { type: 'receipt_expired' };

export const isFinal = (state: ProvisioningState): boolean =>
  state === 'completed' || state === 'failed' || state === 'expired';

const TRANSITIONS: Record<
  ProvisioningEvent['type'],
  Partial<Record<ProvisioningState, ProvisioningState>>
> = {
  receipts_issued: { pending: 'receipt_issued' },
  push_refused: { pending: 'failed' },
  // MDES's notification outranks the browser's report and the expiry job's guess.
  tokens_confirmed: { receipt_issued: 'completed', expired: 'completed', failed: 'completed' },
  all_refused: { receipt_issued: 'failed' },
  receipt_expired: { receipt_issued: 'expired' },
};

/** Where each card of a push stands. `receipt_issued` is open; the others are final. */
export type CardState = 'pending' | 'receipt_issued' | 'completed' | 'failed';

/**
 * What a push's cards add up to once none is open: completed when MDES
 * made a token for at least one, else the event that fails it; undefined
 * while a card is still open.
 */
export function settledBy(cards: readonly { state: string }[]): ProvisioningEvent | undefined {
  if (cards.some((c) => c.state === 'pending' || c.state === 'receipt_issued')) return undefined;
  return cards.some((c) => c.state === 'completed') ? { type: 'tokens_confirmed' } : { type: 'all_refused' };
}

/** The state after an event, or a ConflictError naming the impossible move. */
export function nextState(state: ProvisioningState, event: ProvisioningEvent): ProvisioningState {
  const to = TRANSITIONS[event.type][state];
  if (to === undefined) {
    throw new ConflictError(
      'PROVISIONING_INVALID_TRANSITION',
      `a ${state} provisioning cannot take '${event.type}'`,
      {
        details: { state, event: event.type },
      },
    );
  }
  return to;
}

/**
 * What a token requestor's result for one receipt (MDESRQ p. 51) means for
 * the card: a token it says it has waits for MDES to confirm it; anything
 * else ends the card with its own code.
 */
export function reportedOutcome(result: TokenizationResult): { awaitsMdes: true } | { failed: PushOutcome } {
  switch (result) {
    case 'APPROVED':
    case 'AUTHENTICATED':
      return { awaitsMdes: true };
    case 'REQUIRE_ADDITIONAL_AUTHENTICATION':
      return { failed: 'ADDITIONAL_AUTHENTICATION_REQUIRED' };
    case 'DECLINED':
      return { failed: 'TOKENIZATION_DECLINED' };
    case 'CANCELLED':
      return { failed: 'CARDHOLDER_CANCELLED' };
    case 'DELETED':
      return { failed: 'TOKEN_DELETED_BY_TOKEN_REQUESTOR' };
    case 'DUPLICATE_REQUEST':
      return { failed: 'ALREADY_SAVED' };
    case 'ERROR':
      return { failed: 'TOKEN_REQUESTOR_ERROR' };
  }
}
