import { escapeHtml as e } from '../core/html.js';
import type { SavedCard } from '../service/tokens/saved-cards.js';
import { problemBox } from './layout.js';
import { REFUSALS } from './messages.js';
import { timeTag } from './time.js';

/**
 * "Where my card is saved": Click to Pay and each merchant holding a token
 * of the card, with the controls its status allows. A change is asked of
 * Mastercard and shows here once Mastercard confirms it (the page's script
 * waits for that), so the page never claims what has not happened.
 */

/** Each token status as the cardholder reads it. */
export const TOKEN_STATUS_LABELS: Record<SavedCard['status'], string> = {
  ACTIVE: 'Active',
  SUSPENDED: 'Paused: it cannot be used here until you resume it',
  DELETED: 'Removed',
};

const CONFIRMED: Record<SavedCard['status'], string> = {
  ACTIVE: 'can be used again',
  SUSPENDED: 'is paused',
  DELETED: 'was removed',
};

/** What the page shows open and says, from its query (a no-script form's redirect brings them back). */
export interface SavedCardsView {
  /** The token whose change Mastercard just confirmed. */
  changed?: SavedCard | undefined;
  /** A change asked of Mastercard and not yet confirmed when the page was drawn. */
  asked?: SavedCard | undefined;
  /** A panel opened without script: the removal's confirmation or the resume's step-up. */
  open?: { tokenId: string; panel: 'confirm' | 'resume' } | undefined;
  /** A refusal brought back by a no-script form, worded in the error box. */
  problem?: string | undefined;
  /** Whether the cardholder has a passkey to confirm with (one is offered only then). */
  hasPasskey?: boolean;
}

export const savedCardsPath = (cardId: string): string => `/app/cards/${cardId}/saved`;
/** Where a saved card's change is posted: `suspend`, `resume` or `remove`. */
export const savedCardActionPath = (cardId: string, tokenId: string, action: string): string =>
  `${savedCardsPath(cardId)}/${tokenId}/${action}`;

function item(
  token: SavedCard,
  card: { id: string; name: string; active: boolean },
  view: SavedCardsView,
): string {
  const where = token.tokenRequestorName;
  const id = e(token.id);
  const page = e(savedCardsPath(card.id));
  const action = (name: string) => e(savedCardActionPath(card.id, token.id, name));
  const logo = token.logoAssetId
    ? `<img src="/v1/assets/${e(token.logoAssetId)}" alt="" width="48" height="48">`
    : '<span class="logo-blank" aria-hidden="true"></span>';
  const live = token.status !== 'DELETED';
  const opened = view.open?.tokenId === token.id ? view.open.panel : undefined;
  // Without script each button is a form's: Pause posts; Resume and Remove come back to this page
  // with their panel open (a GET carrying only the token's id). The script intercepts all three.
  const buttons = [
    token.status === 'ACTIVE' &&
      `<button type="submit" class="secondary small" data-action="suspend">Pause<span class="sr-only"> ${e(card.name)} at ${e(where)}</span></button>`,
    token.status === 'SUSPENDED' &&
      card.active &&
      `<button type="submit" class="secondary small" data-action="resume" formmethod="get" formaction="${page}" name="resume" value="${id}">Resume<span class="sr-only"> ${e(card.name)} at ${e(where)}</span></button>`,
    live &&
      `<button type="submit" class="secondary small danger" data-action="remove" formmethod="get" formaction="${page}" name="confirm" value="${id}">Remove<span class="sr-only"> ${e(card.name)} from ${e(where)}</span></button>`,
  ].filter(Boolean);
  // "Cancel" and "Keep it" go back to the page as it was (a GET of it, without script).
  const back = (label: string) =>
    `<button type="submit" class="secondary" data-action="cancel" formmethod="get" formaction="${page}" formnovalidate>${label}</button>`;
  // Resuming needs a fresh confirmation that it is the cardholder; pausing and removing only protect them.
  const resume =
    token.status === 'SUSPENDED' && card.active
      ? `<form class="resume panel" data-role="resume" method="post" action="${action('resume')}"${opened === 'resume' ? '' : ' hidden'} novalidate>
<fieldset><legend>Confirm it is you to resume</legend>
<div class="check"><input type="radio" id="resume-code-${id}" name="method" value="code" checked><label for="resume-code-${id}">One-time code from my authenticator app</label></div>
${
  view.hasPasskey === false
    ? ''
    : `<div class="check"><input type="radio" id="resume-passkey-${id}" name="method" value="passkey"><label for="resume-passkey-${id}">Passkey on this device</label></div>`
}
<div class="code-field"><label for="code-${id}">One-time code</label>
<input id="code-${id}" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6"${opened === 'resume' ? ' autofocus' : ''}></div>
</fieldset>
<div class="button-row"><button type="submit" class="btn">Confirm and resume</button>
${back('Cancel')}</div>
</form>`
      : '';
  const confirm = live
    ? `<form class="confirm panel" data-role="confirm" method="post" action="${action('remove')}"${opened === 'confirm' ? '' : ' hidden'}>
<p>Remove your card from ${e(where)}? To use it there again you would add it again from your bank.</p>
<div class="button-row"><button type="submit" class="btn danger" data-action="remove-confirmed"${opened === 'confirm' ? ' autofocus' : ''}>Yes, remove it</button>
${back('Keep it')}</div>
</form>`
    : '';
  return `<li class="saved-item" id="saved-${id}" data-token-id="${id}" data-status="${e(token.status)}">
${logo}
<div><h2>${e(where)}</h2>
<p class="muted">${token.destination === 'click_to_pay' ? 'Pay online without typing your card' : 'Saved at this merchant'} · since ${timeTag(token.createdAt, 'date')}${token.tokenPanSuffix ? ` · their number ends in ${e(token.tokenPanSuffix)}` : ''}</p>
<p class="token-status" data-status="${e(token.status)}">${e(TOKEN_STATUS_LABELS[token.status])}</p>
${buttons.length > 0 ? `<form class="actions" method="post" action="${action('suspend')}">${buttons.join('')}</form>` : ''}
${confirm}${resume}</div></li>`;
}

/** The page body: the card, where it is saved, what was just confirmed or asked, and any panel opened. */
export function savedCardsBody(
  card: { id: string; productName: string; lastFour: string; status: string },
  tokens: SavedCard[],
  view: SavedCardsView = {},
): string {
  const { changed, asked } = view;
  const named = {
    id: card.id,
    name: `${card.productName} ending in ${card.lastFour}`,
    active: card.status === 'active',
  };
  const flash = changed
    ? `Your card at ${changed.tokenRequestorName} ${CONFIRMED[changed.status]}.`
    : asked
      ? `Your card at ${asked.tokenRequestorName}: ${REFUSALS.CHANGE_UNCONFIRMED ?? ''}`
      : '';
  return `<h1>Where your ${e(card.productName)} •••• ${e(card.lastFour)} is saved</h1>
<p id="flash" class="flash" role="status" tabindex="-1"${flash ? '' : ' hidden'}>${e(flash)}</p>
${problemBox(view.problem)}
<div id="progress" class="progress" role="status" aria-live="polite"></div>
${
  // The bank's block outranks the cardholder's controls: nothing resumes until it is lifted.
  // Said only where the card is saved: a card saved nowhere has nothing paused.
  card.status === 'active' || tokens.length === 0
    ? ''
    : `<p class="notice">${e(REFUSALS.CARD_BLOCKED ?? '')} You can still remove it from any of them.</p>`
}
${
  tokens.length === 0
    ? card.status === 'active'
      ? '<p>This card is not saved anywhere yet. Add it to Click to Pay or a merchant from your cards.</p>'
      : '<p>This card is not saved anywhere. While it is blocked it cannot be added anywhere either.</p>'
    : `<ul class="saved">${tokens.map((t) => item(t, named, view)).join('')}</ul>`
}
<p><a href="/app/cards">Back to your cards</a></p>`;
}
