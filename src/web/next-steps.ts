import { html, type SafeHtml } from '../core/html.js';
import { type Lang, translator } from './i18n.js';
import { savedCardsPath } from './saved-cards.js';

/**
 * "What now" on a push's result page: for each outcome, what the cardholder
 * does next (or that there is nothing to do), with the link to do it. Said
 * inside the result panel, which the page script swaps as the state moves.
 */
export interface Outcome {
  id: string;
  state: string;
  /** The push's error, or its cards' shared one. */
  errorCode: string | undefined;
  destination: { id: string; name: string; kind: 'click_to_pay' | 'merchant' };
  /** The first card the push took (its "try again" and "where saved" links). */
  cardId: string | undefined;
  /** Back from the token requestor, Mastercard's confirmation not yet in. */
  confirming: boolean;
  /** Whether the page leads on to the token requestor (its "Continue to …" button), while that is still to do. */
  canContinue: boolean;
}

/** Failures the cardholder cannot fix by trying again at once: the bank can. */
const CALL_US = new Set([
  'ADDITIONAL_AUTHENTICATION_REQUIRED',
  'TOKENIZATION_DECLINED',
  'ACCOUNT_INELIGIBLE',
]);

function steps(o: Outcome, lang: Lang): SafeHtml[] {
  const t = translator(lang);
  const name = o.destination.name;
  const again = o.cardId
    ? html`<a href="/app/cards/${o.cardId}/destinations/${o.destination.id}/consent">${t('try again')}</a>`
    : t('try again from your cards');
  // Not "Where this card is saved": the card's own link above says that; two links of one name would confuse.
  const saved = o.cardId
    ? html`<a href="${savedCardsPath(o.cardId)}">${t('your saved cards')}</a>`
    : t('your cards');
  const reference = t('Quote reference {id} if you call us.', { id: html`<code>${o.id}</code>` });
  switch (o.state) {
    case 'pending':
      return [t('Nothing to do: this page updates by itself in a moment.')];
    case 'receipt_issued':
      return o.confirming
        ? [t('Nothing more to do: this page updates by itself once Mastercard confirms.')]
        : [
            o.canContinue
              ? t('Finish at {name}: “Continue to {name}” takes you there.', { name })
              : t('Finish at {name} in the window it opened.', { name }),
            t('Closed it by mistake? Start again from your cards.'),
          ];
    case 'completed':
      return [
        o.destination.kind === 'click_to_pay'
          ? t(
              'Next time you pay online, choose Click to Pay at checkout: your card is there, without typing it.',
            )
          : t('Next time you buy at {name}, choose this card at checkout: it is saved there.', { name }),
        t('You can pause or remove it there at any time, under {saved}.', { saved }),
      ];
    case 'expired':
      return [
        t('The time to finish ran out, so nothing was added. You can {again} whenever you like.', { again }),
      ];
    default:
      if (o.errorCode === 'CARDHOLDER_CANCELLED')
        return [t('Nothing was added. You can {again} whenever you like.', { again })];
      if (o.errorCode === 'ALREADY_SAVED') return [t('Nothing more to do: see {saved}.', { saved })];
      if (o.errorCode && CALL_US.has(o.errorCode))
        return [
          html`${t('Trying again will not help this time: please call us on the number on the back of your card.')} ${reference}`,
        ];
      return [
        html`${t('You can {again}. If it fails again, call us on the number on the back of your card.', { again })} ${reference}`,
      ];
  }
}

export function nextSteps(outcome: Outcome, lang: Lang = 'en'): SafeHtml {
  return html`<section class="next-steps" aria-labelledby="next-title"><h2 id="next-title">${translator(lang)('What now')}</h2>
<ul>${steps(outcome, lang).map((step) => html`<li>${step}</li>`)}</ul></section>`;
}
