import { escapeHtml as e } from '../core/html.js';
import type { SavedCard } from '../service/tokens/saved-cards.js';
import { REFUSALS } from './messages.js';

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

export const savedCardsPath = (cardId: string): string => `/app/cards/${cardId}/saved`;

const day = (date: Date) => date.toISOString().slice(0, 10);

function item(token: SavedCard, cardName: string, cardActive: boolean): string {
  const where = token.tokenRequestorName;
  const id = e(token.id);
  const logo = token.logoAssetId
    ? `<img src="/v1/assets/${e(token.logoAssetId)}" alt="" width="48" height="48">`
    : '<span class="logo-blank" aria-hidden="true"></span>';
  const live = token.status !== 'DELETED';
  const buttons = [
    token.status === 'ACTIVE' &&
      `<button type="button" class="secondary small" data-action="suspend">Pause<span class="sr-only"> ${e(cardName)} at ${e(where)}</span></button>`,
    token.status === 'SUSPENDED' &&
      cardActive &&
      `<button type="button" class="secondary small" data-action="resume">Resume<span class="sr-only"> ${e(cardName)} at ${e(where)}</span></button>`,
    live &&
      `<button type="button" class="secondary small danger" data-action="remove">Remove<span class="sr-only"> ${e(cardName)} from ${e(where)}</span></button>`,
  ].filter(Boolean);
  // Resuming needs a fresh confirmation that it is the cardholder; pausing and removing only protect them.
  const resume =
    token.status === 'SUSPENDED' && cardActive
      ? `<form class="resume panel" data-role="resume" hidden novalidate>
<fieldset><legend>Confirm it is you to resume</legend>
<div class="check"><input type="radio" id="resume-code-${id}" name="method" value="code" checked><label for="resume-code-${id}">One-time code from my authenticator app</label></div>
<div class="check"><input type="radio" id="resume-passkey-${id}" name="method" value="passkey"><label for="resume-passkey-${id}">Passkey on this device</label></div>
<div class="code-field"><label for="code-${id}">One-time code</label>
<input id="code-${id}" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6"></div>
</fieldset>
<button type="submit" class="btn">Confirm and resume</button>
<button type="button" class="secondary" data-action="cancel">Cancel</button>
</form>`
      : '';
  const confirm = live
    ? `<div class="confirm panel" data-role="confirm" hidden>
<p>Remove your card from ${e(where)}? To use it there again you would add it again from your bank.</p>
<button type="button" class="btn danger" data-action="remove-confirmed">Yes, remove it</button>
<button type="button" class="secondary" data-action="cancel">Keep it</button>
</div>`
    : '';
  return `<li class="saved-item" data-token-id="${id}" data-status="${e(token.status)}">
${logo}
<div><h2>${e(where)}</h2>
<p class="muted">${token.destination === 'click_to_pay' ? 'Pay online without typing your card' : 'Saved at this merchant'} · since ${day(token.createdAt)}${token.tokenPanSuffix ? ` · their number ends in ${e(token.tokenPanSuffix)}` : ''}</p>
<p class="token-status" data-status="${e(token.status)}">${e(TOKEN_STATUS_LABELS[token.status])}</p>
${buttons.length > 0 ? `<div class="actions">${buttons.join('')}</div>` : ''}
${confirm}${resume}</div></li>`;
}

/** The page body: the card, where it is saved, and what was just confirmed (`changed`). */
export function savedCardsBody(
  card: { productName: string; lastFour: string; status: string },
  tokens: SavedCard[],
  changed: SavedCard | undefined,
): string {
  const cardName = `${card.productName} ending in ${card.lastFour}`;
  const flash = changed ? `Your card at ${changed.tokenRequestorName} ${CONFIRMED[changed.status]}.` : '';
  return `<h1>Where your ${e(card.productName)} •••• ${e(card.lastFour)} is saved</h1>
<p id="flash" class="flash" role="status" tabindex="-1"${flash ? '' : ' hidden'}>${e(flash)}</p>
<div id="error" class="error" role="alert" hidden></div>
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
    : `<ul class="saved">${tokens.map((t) => item(t, cardName, card.status === 'active')).join('')}</ul>`
}
<p><a href="/app/cards">Back to your cards</a></p>`;
}
