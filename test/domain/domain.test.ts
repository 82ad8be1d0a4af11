import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountRangeOf, padRange } from '../../src/domain/account-ranges.js';
import { type CardFacts, eligibility, isExpired } from '../../src/domain/eligibility.js';
import {
  isFinal,
  nextState,
  PROVISIONING_STATES,
  type ProvisioningEvent,
  type ProvisioningState,
  reportedOutcome,
  settledBy,
} from '../../src/domain/provisioning.js';
import { isServedCountry, servedCountries } from '../../src/domain/regions.js';

const now = new Date('2026-11-25T12:00:00Z');
const card: CardFacts = {
  country: 'GB',
  status: 'active',
  expiryMonth: 12,
  expiryYear: 2028,
  accountRange: '555555555',
};
const destination = { tokenRequestorId: '50123456789', enabledAccountRanges: [padRange('555555555')] };

describe('regions', () => {
  it('serves the 26 countries of the regional table and nothing else', () => {
    expect(servedCountries()).toHaveLength(26);
    expect(isServedCountry('gb')).toBe(true);
    expect(isServedCountry('FR')).toBe(false);
    expect(isServedCountry('JP')).toBe(false);
  });
});

describe('eligibility', () => {
  it('accepts an active, unexpired card of a served country in an accepted range', () => {
    expect(eligibility(card, destination, now)).toEqual({ eligible: true });
  });

  it.each([
    [{ country: 'FR' }, 'CARD_COUNTRY_NOT_SERVED'],
    [{ status: 'blocked' as const }, 'CARD_NOT_ACTIVE'],
    [{ status: 'closed' as const }, 'CARD_NOT_ACTIVE'],
    [{ expiryMonth: 10, expiryYear: 2026 }, 'CARD_EXPIRED'],
    [{ accountRange: undefined }, 'ACCOUNT_RANGE_NOT_ENROLLED'],
    [{ accountRange: '222300004' }, 'ACCOUNT_RANGE_NOT_ACCEPTED'],
  ])('refuses %o with %s', (change, code) => {
    const result = eligibility({ ...card, ...change }, destination, now);
    expect(result).toMatchObject({ eligible: false, code });
  });

  it('treats a card as valid through the last day of its expiry month', () => {
    expect(isExpired(11, 2026, new Date('2026-11-30T23:59:59Z'))).toBe(false);
    expect(isExpired(11, 2026, new Date('2026-12-01T00:00:00Z'))).toBe(true);
    expect(isExpired(11, 26, new Date('2026-12-01T00:00:00Z'))).toBe(true);
  });

  it('places a PAN in the longest matching account range', () => {
    expect(accountRangeOf('5555555555554444', ['555555', '5555555555', '5105'])).toBe('5555555555');
    expect(accountRangeOf('2223000048400011', ['5555555555'])).toBeUndefined();
    expect(padRange('5412346789')).toBe('5412346789000000000');
  });
});

describe('provisioning state machine', () => {
  it('walks both use cases to their ends', () => {
    let issued: ProvisioningState = 'pending';
    issued = nextState(issued, { type: 'receipts_issued' });
    expect(issued).toBe('receipt_issued');
    expect(nextState(issued, { type: 'tokens_confirmed' })).toBe('completed');
    expect(nextState(issued, { type: 'all_refused' })).toBe('failed');
    expect(nextState(issued, { type: 'receipt_expired' })).toBe('expired');
    expect(nextState('pending', { type: 'push_refused' })).toBe('failed');
    // MDES's notification of a token still completes a push the expiry job or the browser had ended.
    expect(nextState('expired', { type: 'tokens_confirmed' })).toBe('completed');
    expect(nextState('failed', { type: 'tokens_confirmed' })).toBe('completed');
  });

  it('settles a push once no card is open: completed if MDES made a token for one', () => {
    expect(settledBy([{ state: 'completed' }, { state: 'receipt_issued' }])).toBeUndefined();
    expect(settledBy([{ state: 'completed' }, { state: 'failed' }])).toEqual({ type: 'tokens_confirmed' });
    expect(settledBy([{ state: 'failed' }, { state: 'failed' }])).toEqual({ type: 'all_refused' });
  });

  it("maps each token requestor result to the card's outcome; only MDES confirms a token", () => {
    expect(reportedOutcome('APPROVED')).toEqual({ awaitsMdes: true });
    expect(reportedOutcome('AUTHENTICATED')).toEqual({ awaitsMdes: true });
    expect(reportedOutcome('CANCELLED')).toEqual({ failed: 'CARDHOLDER_CANCELLED' });
    expect(reportedOutcome('DECLINED')).toEqual({ failed: 'TOKENIZATION_DECLINED' });
    expect(reportedOutcome('ERROR')).toEqual({ failed: 'TOKEN_REQUESTOR_ERROR' });
    expect(reportedOutcome('REQUIRE_ADDITIONAL_AUTHENTICATION')).toEqual({
      failed: 'ADDITIONAL_AUTHENTICATION_REQUIRED',
    });
  });

  it("leaves a final state only for MDES's confirmation and refuses impossible moves with a stable code", () => {
    const events: ProvisioningEvent[] = [
      { type: 'receipts_issued' },
      { type: 'push_refused' },
      { type: 'tokens_confirmed' },
      { type: 'all_refused' },
      { type: 'receipt_expired' },
    ];
    fc.assert(
      fc.property(fc.constantFrom(...PROVISIONING_STATES), fc.constantFrom(...events), (state, event) => {
        let to: ProvisioningState | undefined;
        try {
          to = nextState(state, event);
        } catch (error) {
          expect((error as { code: string }).code).toBe('PROVISIONING_INVALID_TRANSITION');
          return;
        }
        // A final state is left only for completed, on MDES's confirmation of a token.
        if (isFinal(state)) expect([event.type, to]).toEqual(['tokens_confirmed', 'completed']);
        expect(to).not.toBe(state);
      }),
    );
  });
});
