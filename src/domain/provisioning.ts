import { ConflictError } from '../core/errors.js';

/**
 * The life of one provisioning (one push of one or more cards to one
 * destination). Both use cases share the start and the ends; they differ in
 * the middle:
 *
 *   Secure Card on File:  pending → receipt_issued → completed | failed | expired
 *   Click to Pay:         pending → enrolling      → completed | failed
 *
 * `pending` is written before Token Connect is called, so a crash or a lost
 * response leaves a record to reconcile, never a push nobody knows about.
 */
export const PROVISIONING_STATES = [
  'pending',
  'receipt_issued',
  'enrolling',
  'completed',
  'failed',
  'expired',
] as const;
export type ProvisioningState = (typeof PROVISIONING_STATES)[number];

export type DestinationKind = 'click_to_pay' | 'merchant';

export type ProvisioningEvent =
  | { type: 'receipts_issued'; destination: DestinationKind }
  | { type: 'push_refused' }
  | { type: 'merchant_confirmed' }
  | { type: 'merchant_declined' }
  | { type: 'enrolment_confirmed' }
  | { type: 'enrolment_declined' }
  | { type: 'receipt_expired' };

export const isFinal = (state: ProvisioningState): boolean =>
  state === 'completed' || state === 'failed' || state === 'expired';

const TRANSITIONS: Record<
  ProvisioningEvent['type'],
  Partial<Record<ProvisioningState, ProvisioningState>>
> = {
  receipts_issued: { pending: 'receipt_issued' },
  push_refused: { pending: 'failed' },
  merchant_confirmed: { receipt_issued: 'completed' },
  merchant_declined: { receipt_issued: 'failed' },
  enrolment_confirmed: { enrolling: 'completed' },
  enrolment_declined: { enrolling: 'failed' },
  receipt_expired: { receipt_issued: 'expired' },
};

/** The state after an event, or a ConflictError naming the impossible move. */
export function nextState(state: ProvisioningState, event: ProvisioningEvent): ProvisioningState {
  if (event.type === 'receipts_issued' && state === 'pending') {
    return event.destination === 'click_to_pay' ? 'enrolling' : 'receipt_issued';
  }
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
