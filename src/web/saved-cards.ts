import { html, type SafeHtml } from '../core/html.js';
import type { ListedToken } from '../service/tokens/management.js';
import { type Lang, LOCALES, translator } from './i18n.js';
import { problemBox } from './layout.js';
import { messageFor } from './messages.js';
import { timeTag } from './time.js';

/**
 * "Where my card is saved": Click to Pay and each merchant holding a token
 * of the card, with the controls its status allows. A change is asked of
 * Mastercard and shows here once Mastercard confirms it (the page's script
 * waits for that), so the page never claims what has not happened.
 */

/** Each token status as the cardholder reads it. */
const TOKEN_STATUS_LABELS: Record<ListedToken['status'], string> = {
  ACTIVE: 'Active',
  SUSPENDED: 'Paused: it cannot be used here until you resume it',
  DELETED: 'Removed',
};

const CONFIRMED: Record<ListedToken['status'], string> = {
  ACTIVE: 'Your card at {where} can be used again.',
  SUSPENDED: 'Your card at {where} is paused.',
  DELETED: 'Your card at {where} was removed.',
};

/** What the page shows open and says, from its query (a no-script form's redirect brings them back). */
export interface SavedCardsView {
  /** The token whose change Mastercard just confirmed. */
  changed?: ListedToken | undefined;
  /** Something else to say in the flash: an answer to "was this you?". */
  said?: SafeHtml | undefined;
  /** Requests waiting for the cardholder to confirm it was them (src/web/activations.ts). */
  pending?: SafeHtml;
  /** A change asked of Mastercard and not yet confirmed when the page was drawn. */
  asked?: ListedToken | undefined;
  /** A panel opened without script: the removal's confirmation or the resume's step-up. */
  open?: { tokenId: string; panel: 'confirm' | 'resume' } | undefined;
  /** A refusal brought back by a no-script form, worded in the error box. */
  problem?: string | undefined;
  /** Whether the cardholder has a passkey to confirm with (one is offered only then). */
  hasPasskey?: boolean;
  /** The bank's identity provider confirms it is them: no code or passkey of ours is offered. */
  identityProvider?: boolean;
  lang?: Lang;
}

export const savedCardsPath = (cardId: string): string => `/app/cards/${cardId}/saved`;
/** Where a saved card's change is posted: `suspend`, `resume` or `remove`. */
const savedCardActionPath = (cardId: string, tokenId: string, action: string): string =>
  `${savedCardsPath(cardId)}/${tokenId}/${action}`;

function item(
  token: ListedToken,
  card: { id: string; name: SafeHtml; active: boolean },
  view: SavedCardsView,
): SafeHtml {
  const lang = view.lang ?? 'en';
  const t = translator(lang);
  const where = token.tokenRequestorName;
  const at = { card: card.name, where };
  const id = token.id;
  const page = savedCardsPath(card.id);
  const action = (name: string) => savedCardActionPath(card.id, token.id, name);
  const logo = token.logoAssetId
    ? html`<img src="/v1/assets/${token.logoAssetId}" alt="" width="48" height="48">`
    : html`<span class="logo-blank" aria-hidden="true"></span>`;
  const live = token.status !== 'DELETED';
  const opened = view.open?.tokenId === token.id ? view.open.panel : undefined;
  // Without script each button is a form's: Pause posts; Resume and Remove come back to this page
  // with their panel open (a GET carrying only the token's id). The script intercepts all three.
  const buttons = [
    token.status === 'ACTIVE' &&
      html`<button type="submit" class="secondary small" data-action="suspend">${t('Pause')}<span class="sr-only"> ${t('{card} at {where}', at)}</span></button>`,
    token.status === 'SUSPENDED' &&
      card.active &&
      html`<button type="submit" class="secondary small" data-action="resume" formmethod="get" formaction="${page}" name="resume" value="${id}">${t('Resume')}<span class="sr-only"> ${t('{card} at {where}', at)}</span></button>`,
    live &&
      html`<button type="submit" class="secondary small danger" data-action="remove" formmethod="get" formaction="${page}" name="confirm" value="${id}">${t('Remove')}<span class="sr-only"> ${t('{card} from {where}', at)}</span></button>`,
  ].filter(Boolean);
  // "Cancel" and "Keep it" go back to the page as it was (a GET of it, without script).
  const back = (label: string) =>
    html`<button type="submit" class="secondary" data-action="cancel" formmethod="get" formaction="${page}" formnovalidate>${t(label)}</button>`;
  // Resuming needs a fresh confirmation that it is the cardholder; pausing and removing only protect them.
  // With the bank's provider that is its sign-in: the form posts, and the browser goes there.
  const confirmation = view.identityProvider
    ? html`<fieldset data-step-up="idp"><legend>${t('Confirm it is you to resume')}</legend>
<p>${t('You confirm it is you at the bank’s sign-in; then your card can be used there again.')}</p></fieldset>`
    : html`<fieldset><legend>${t('Confirm it is you to resume')}</legend>
<div class="check"><input type="radio" id="resume-code-${id}" name="method" value="code" checked><label for="resume-code-${id}">${t('One-time code from my authenticator app')}</label></div>
${
  view.hasPasskey === false
    ? ''
    : html`<div class="check"><input type="radio" id="resume-passkey-${id}" name="method" value="passkey"><label for="resume-passkey-${id}">${t('Passkey on this device')}</label></div>`
}
<div class="code-field"><label for="code-${id}">${t('One-time code')}</label>
<input id="code-${id}" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6"${opened === 'resume' ? html` autofocus` : ''}></div>
</fieldset>`;
  const resume =
    token.status === 'SUSPENDED' && card.active
      ? html`<form class="resume panel" data-role="resume" method="post" action="${action('resume')}"${opened === 'resume' ? '' : html` hidden`} novalidate>
${confirmation}
<div class="button-row"><button type="submit" class="btn"${opened === 'resume' && view.identityProvider ? html` autofocus` : ''}>${t('Confirm and resume')}</button>
${back('Cancel')}</div>
</form>`
      : '';
  const confirm = live
    ? html`<form class="confirm panel" data-role="confirm" method="post" action="${action('remove')}"${opened === 'confirm' ? '' : html` hidden`}>
<p>${t('Remove your card from {where}? To use it there again you would add it again from your bank.', { where })}</p>
<div class="button-row"><button type="submit" class="btn danger" data-action="remove-confirmed"${opened === 'confirm' ? html` autofocus` : ''}>${t('Yes, remove it')}</button>
${back('Keep it')}</div>
</form>`
    : '';
  return html`<li class="saved-item" id="saved-${id}" data-token-id="${id}" data-status="${token.status}">
${logo}
<div><h2>${where}</h2>
<p class="muted">${t(token.destination === 'click_to_pay' ? 'Pay online without typing your card' : 'Saved at this merchant')} · ${t('since {when}', { when: timeTag(token.createdAt, 'date', LOCALES[lang]) })}${token.tokenPanSuffix ? html` · ${t('their number ends in {digits}', { digits: token.tokenPanSuffix })}` : ''}</p>
<p class="token-status" data-status="${token.status}">${t(TOKEN_STATUS_LABELS[token.status])}</p>
${buttons.length > 0 ? html`<form class="actions" method="post" action="${action('suspend')}">${buttons}</form>` : ''}
${confirm}${resume}</div></li>`;
}

/** The page body: the card, where it is saved, what was just confirmed or asked, and any panel opened. */
export function savedCardsBody(
  card: { id: string; productName: string; lastFour: string; status: string },
  tokens: ListedToken[],
  view: SavedCardsView = {},
): SafeHtml {
  const { changed, asked } = view;
  const lang = view.lang ?? 'en';
  const t = translator(lang);
  const named = {
    id: card.id,
    name: t('{product} ending in {lastFour}', { product: card.productName, lastFour: card.lastFour }),
    active: card.status === 'active',
  };
  const flash = changed
    ? t(CONFIRMED[changed.status], { where: changed.tokenRequestorName })
    : asked
      ? html`${t('Your card at {where}:', { where: asked.tokenRequestorName })} ${messageFor('CHANGE_UNCONFIRMED', undefined, lang)}`
      : (view.said ?? '');
  return html`<h1>${t('Where your {card} is saved', { card: `${card.productName} •••• ${card.lastFour}` })}</h1>
<p id="flash" class="flash" role="status" tabindex="-1"${flash ? '' : html` hidden`}>${flash}</p>
${problemBox(view.problem, lang, view.identityProvider ? 'idp' : undefined)}
<div id="progress" class="progress" role="status" aria-live="polite"></div>
${view.pending ?? ''}
${
  // The bank's block outranks the cardholder's controls: nothing resumes until it is lifted.
  // Said only where the card is saved: a card saved nowhere has nothing paused.
  card.status === 'active' || tokens.length === 0
    ? ''
    : html`<p class="notice">${messageFor('CARD_BLOCKED', undefined, lang)} ${t('You can still remove it from any of them.')}</p>`
}
${
  tokens.length === 0
    ? card.status === 'active'
      ? html`<p>${t('This card is not saved anywhere yet. Add it to Click to Pay or a merchant from your cards.')}</p>`
      : html`<p>${t('This card is not saved anywhere. While it is blocked it cannot be added anywhere either.')}</p>`
    : html`<ul class="saved">${tokens.map((t) => item(t, named, view))}</ul>`
}
<p><a href="/app/cards">${t('Back to your cards')}</a></p>`;
}
