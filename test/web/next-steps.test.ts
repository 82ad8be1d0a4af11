import { describe, expect, it } from 'vitest';
import { nextSteps, type Outcome } from '../../src/web/next-steps.js';

const base: Outcome = {
  id: 'prv_aaaaaaaaaa',
  state: 'completed',
  errorCode: undefined,
  destination: { id: '50123197928', name: 'Click to Pay', kind: 'click_to_pay' },
  cardId: 'crd_aaaaaaaaaa',
  confirming: false,
  canContinue: false,
};
const text = (o: Partial<Outcome>) => String(nextSteps({ ...base, ...o })).replace(/<[^>]+>/g, '');

/** The result page's "What now": one next step for every outcome, never none. */
describe('what now, after a push', () => {
  it.each<[string, Partial<Outcome>, RegExp]>([
    ['sending', { state: 'pending' }, /Nothing to do: this page updates by itself/],
    [
      'to finish there',
      { state: 'receipt_issued', canContinue: true },
      /Finish at Click to Pay: “Continue to Click to Pay”/,
    ],
    [
      'confirming',
      { state: 'receipt_issued', confirming: true },
      /Nothing more to do: this page updates by itself once Mastercard confirms/,
    ],
    ['added to Click to Pay', {}, /choose Click to Pay at checkout/],
    [
      'saved at a merchant',
      { destination: { id: '50182375119', name: 'Demo Shop', kind: 'merchant' } },
      /Next time you buy at Demo Shop, choose this card at checkout/,
    ],
    ['expired', { state: 'expired' }, /time to finish ran out, so nothing was added\. You can try again/],
    [
      'cancelled',
      { state: 'failed', errorCode: 'CARDHOLDER_CANCELLED' },
      /Nothing was added\. You can try again/,
    ],
    [
      'declined',
      { state: 'failed', errorCode: 'TOKENIZATION_DECLINED' },
      /Trying again will not help.*call us.*prv_aaaaaaaaaa/,
    ],
    [
      'an error there',
      { state: 'failed', errorCode: 'TOKEN_REQUESTOR_ERROR' },
      /You can try again\. If it fails again, call us.*prv_aaaaaaaaaa/,
    ],
    [
      'already saved',
      { state: 'failed', errorCode: 'ALREADY_SAVED' },
      /Nothing more to do: see your saved cards/,
    ],
  ])('%s', (_name, outcome, says) => {
    const html = String(nextSteps({ ...base, ...outcome }));
    expect(html).toContain('<h2 id="next-title">What now</h2>');
    expect(text(outcome)).toMatch(says);
  });

  it('links to where the card is saved once added, and to the consent page to try again', () => {
    expect(String(nextSteps(base))).toContain('href="/app/cards/crd_aaaaaaaaaa/saved"');
    expect(String(nextSteps({ ...base, state: 'expired' }))).toContain(
      'href="/app/cards/crd_aaaaaaaaaa/destinations/50123197928/consent"',
    );
  });
});
