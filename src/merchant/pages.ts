/**
 * The demo merchant's pages: a shop that receives a pushed card, shows it
 * (card art and last four digits, never more) and sends the shopper back to
 * the bank. Server-rendered, no scripts, no external assets.
 */
import { html, type SafeHtml } from '../core/html.js';

export interface SavedCardView {
  /** Present on the shopper's own list, where the card can be used or removed. */
  id?: string;
  lastFour: string;
  status: string;
  savedAt: Date;
}

const STYLE = html`
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f0fdfa;color:#134e4a}
header{background:#0f766e;color:#fff;padding:1rem}
header a{color:#fff;text-decoration:none;font-weight:700}
main{max-width:36rem;margin:1.5rem auto;padding:0 1rem}
.card{width:18rem;max-width:100%;aspect-ratio:1.586;border-radius:.8rem;padding:1rem;box-sizing:border-box;
 background:linear-gradient(135deg,#1a1f71,#0f766e);color:#fff;display:flex;flex-direction:column;justify-content:space-between;margin:1rem 0}
.card .num{font-size:1.2rem;letter-spacing:.15em}
.btn{display:inline-block;background:#0f766e;color:#fff;border:0;border-radius:.4rem;padding:.7rem 1.2rem;font-size:1rem;text-decoration:none;cursor:pointer}
.btn.secondary{background:#fff;color:#0f766e;border:1px solid #0f766e}
.unusable .card{filter:grayscale(1);opacity:.5}
.error{background:#fef2f2;color:#991b1b;border:1px solid #fecaca;padding:1rem;border-radius:.4rem}
.note{background:#fffbeb;color:#78350f;border:1px solid #fde68a;padding:1rem;border-radius:.4rem}
form{display:inline-block;margin:.5rem .5rem 0 0}
a:focus,button:focus{outline:3px solid #134e4a;outline-offset:2px}
header a:focus{outline-color:#fff}
`;

function page(title: string, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Demo Shop</title><style>${STYLE}</style></head>
<body><header><a href="/">Demo Shop</a></header><main>${body}</main></body></html>`;
}

function cardArt(lastFour: string, label = 'Mastercard'): SafeHtml {
  return html`<div class="card" role="img" aria-label="${label} ending in ${lastFour}">
<span>${label}</span><span class="num" aria-hidden="true">•••• ${lastFour}</span></div>`;
}

// How a saved card's token status (from MDES) reads to the shopper.
const STATUS_TEXT: Record<string, string> = {
  ACTIVE: 'active',
  SUSPENDED: 'suspended — cannot be used to pay for now',
  DEACTIVATED: 'removed — no longer saved here',
};

export function homePage(cards: SavedCardView[], csrf = ''): SafeHtml {
  const hidden = html`<input type="hidden" name="csrf" value="${csrf}">`;
  // A removed card cannot be used or removed again; a suspended one may be tried (the shop learns why it fails).
  const actions = (c: SavedCardView) =>
    c.id && c.status !== 'DEACTIVATED'
      ? html`<form method="post" action="/cards/${c.id}/pay">${hidden}<button class="btn" type="submit">Pay €12.50 with card ending ${c.lastFour}</button></form>
<form method="post" action="/cards/${c.id}/remove">${hidden}<button class="btn secondary" type="submit">Remove card ending ${c.lastFour}</button></form>`
      : '';
  const list =
    cards.length === 0
      ? html`<p>No saved cards yet. Add one from your bank’s app.</p>`
      : html`<ul>${cards.map((c) => {
          const usable = c.status === 'ACTIVE';
          const text = STATUS_TEXT[c.status] ?? c.status.toLowerCase();
          return html`<li data-status="${c.status}"${usable ? '' : html` class="unusable"`}>${cardArt(c.lastFour)}Mastercard ending in ${c.lastFour} — ${text}<div>${actions(c)}</div></li>`;
        })}</ul>`;
  return page('Your saved cards', html`<h1>Your saved cards</h1>${list}`);
}

// Why a payment did not go through, in the shopper's words.
const DECLINES: Record<string, string> = {
  TOKEN_SUSPENDED_BY_ISSUER: 'This card is paused by your bank. Contact your bank or use another card.',
  TOKEN_SUSPENDED: 'This card is paused at Demo Shop.',
  TOKEN_DEACTIVATED: 'This card has been removed and can no longer be used.',
};
const GENERIC_DECLINE = 'The payment could not be completed. Please try again or use another card.';

export interface PaymentView {
  amount: string;
  currency: string;
  state: 'pending' | 'approved' | 'declined' | 'failed';
  reason: string | null;
  lastFour: string;
}

export function paymentPage(view: PaymentView): SafeHtml {
  const amount = `${view.currency === 'EUR' ? '€' : `${view.currency} `}${view.amount}`;
  if (view.state === 'approved') {
    return page(
      'Payment approved',
      html`<h1>Payment approved</h1><p role="status" data-outcome="approved">You paid ${amount} with the Mastercard ending in ${view.lastFour}.</p><p><a href="/">Your saved cards</a></p>`,
    );
  }
  const why = view.state === 'declined' ? (DECLINES[view.reason ?? ''] ?? GENERIC_DECLINE) : GENERIC_DECLINE;
  return page(
    'Payment declined',
    html`<h1>Payment declined</h1><p class="error" role="alert" data-outcome="${view.state}" data-reason="${view.reason ?? ''}">${why}</p><p><a href="/">Your saved cards</a></p>`,
  );
}

export interface ConfirmForm {
  count: number;
  /** The handover's query as it arrived, re-read and re-verified on POST. */
  handover: string;
  csrf: string;
}

export function confirmPage(form: ConfirmForm): SafeHtml {
  const hidden = html`<input type="hidden" name="handover" value="${form.handover}"><input type="hidden" name="csrf" value="${form.csrf}">`;
  const n = form.count;
  return page(
    'Save your card',
    html`<h1>Save your card at Demo Shop</h1>
<p>Your bank is sending ${n === 1 ? 'a card' : `${n} cards`} to Demo Shop. We will keep a secure token, never your card number.</p>
<form method="post" action="/push">${hidden}
<button class="btn" type="submit">Save ${n === 1 ? 'card' : 'cards'}</button>
</form>
<form method="post" action="/push/cancel">${hidden}
<button class="btn secondary" type="submit">Not now — back to your bank</button>
</form>`,
  );
}

// What the shopper reads for each result that is not a saved card (MDESRQ's
// "Display provisioning results" suggests the wording).
const FAILURES: Record<string, string> = {
  PUSH_ACCOUNT_RECEIPT_EXPIRED:
    'The link from your bank has expired. Please start again from your bank’s app.',
  PUSH_ACCOUNT_RECEIPT_ALREADY_USED: 'This card has already been saved from this link.',
  CARDHOLDER_CANCELLED: 'You chose not to save the card.',
};
const GENERIC_FAILURE = 'Card could not be added. Contact your bank.';

export interface ResultView {
  saved: SavedCardView[];
  /** Mastercard's reason for each receipt not saved. */
  failures: string[];
  returnUrl: string | undefined;
}

export function resultPage(view: ResultView): SafeHtml {
  const saved = view.saved.length;
  const heading =
    saved === 0 ? 'Your card was not saved' : saved === 1 ? 'Card saved' : `${saved} cards saved`;
  const failures = [...new Set(view.failures.map((f) => FAILURES[f] ?? GENERIC_FAILURE))];
  return page(
    heading,
    html`<h1>${heading}</h1>
${saved > 0 ? html`<p role="status">You can now pay at Demo Shop without typing your card details.</p>` : ''}
${view.saved.map((c) => cardArt(c.lastFour))}
${failures.map((f) => html`<p class="${saved > 0 ? 'note' : 'error'}" role="${saved > 0 ? 'status' : 'alert'}">${f}</p>`)}
${view.returnUrl ? html`<a class="btn" href="${view.returnUrl}">Continue to your bank</a>` : html`<p><a href="/">Your saved cards</a></p>`}`,
  );
}

export function failedPage(message: string, returnUrl: string | undefined): SafeHtml {
  return page(
    'Card not saved',
    html`<h1>Your card was not saved</h1><p class="error" role="alert">${message}</p>
${returnUrl ? html`<a class="btn" href="${returnUrl}">Return to your bank</a>` : html`<p>Please start again from your bank’s app.</p>`}`,
  );
}
