import type { CardholderCode, PushOutcome } from '../core/error-codes.js';
import type { ReasonCode } from '../mastercard/token-connect/reason-codes.js';
import type { Lang } from './i18n.js';
import { DE_MESSAGES } from './i18n-de.js';

/** The codes the pages and their script give themselves; the API never answers them. */
type PageCode = 'UNEXPECTED' | 'NETWORK' | 'PASSKEY_CANCELLED' | 'CHANGE_UNCONFIRMED';

/** A refusal said for one page's way of doing things (`problemBox`'s variant): confirming at the bank's own sign-in. */
type Variant = 'SCA_REQUIRED.idp';

/**
 * Every code a page can show: the catalogue's cardholder codes, how a push
 * ended, the one Mastercard reason code a push's card commonly ends with, the
 * pages' own, and a form field's own wording of VALIDATION_FAILED. Any other
 * code (one of Mastercard's) reads as UNEXPECTED's wording.
 */
export type RefusalCode =
  | CardholderCode
  | PushOutcome
  | Extract<ReasonCode, 'ACCOUNT_INELIGIBLE'>
  | PageCode
  | Variant
  | `VALIDATION_FAILED.${string}`;

/**
 * What a cardholder reads for each refusal code, in plain words. The pages
 * render them server-side and hand the same table to the browser script, so
 * a code has one wording wherever it is shown.
 */
export const REFUSALS: Record<RefusalCode, string> = {
  CARD_COUNTRY_NOT_SERVED: 'This card was issued in a country where this service is not offered yet.',
  CARD_EXPIRED: 'This card has expired. Use your replacement card instead.',
  CARD_NOT_ACTIVE: 'This card is blocked or not yet active, so it cannot be added.',
  ACCOUNT_RANGE_NOT_ENROLLED: 'This card type cannot be added to digital services yet.',
  ACCOUNT_RANGE_NOT_ACCEPTED: 'This destination does not accept this card type.',
  ACCOUNT_INELIGIBLE: 'Mastercard could not add this card. Please contact us.',
  CARD_NOT_FOUND: 'We could not find this card among yours.',
  CARDS_INVALID: 'The cards chosen cannot be added together.',
  NO_RECEIPT: 'Mastercard did not accept this card for that destination. Nothing was added.',
  TOKEN_CONNECT_REJECTED:
    'Mastercard refused the request, so your card was not added. Please try again later.',
  TOKEN_CONNECT_UNEXPECTED_RESPONSE:
    'Mastercard’s answer could not be read, so your card was not added. Please try again later.',
  TOKEN_CONNECT_UNREACHABLE:
    'We cannot reach Mastercard right now, so your card was not added. Please try again later.',
  TOKEN_CONNECT_TIMEOUT:
    'Mastercard did not answer in time, so your card was not added. Please try again later.',
  IDEMPOTENCY_IN_PROGRESS: 'Your request is still being handled. Wait a moment and refresh the page.',
  MULTIPLE_CARDS_NOT_SUPPORTED: 'This destination accepts one card at a time.',
  TOKEN_REQUESTOR_NOT_FOUND: 'This destination is not available for this card.',
  CONSENT_REQUIRED: 'Tick the box to agree to share your card details before continuing.',
  SCA_REQUIRED: 'Confirm it is you with a one-time code or a passkey first.',
  'SCA_REQUIRED.idp':
    'Your bank’s sign-in did not confirm it is you strongly enough. Try again, and confirm with your second step there.',
  SCA_EXPIRED: 'Your confirmation has expired. Confirm it is you again.',
  SCA_WRONG_SESSION: 'Your confirmation belongs to another sign-in. Confirm it is you again.',
  SCA_WRONG_CARDHOLDER: 'Your confirmation belongs to someone else. Confirm it is you again.',
  TOTP_CODE_INVALID: 'That one-time code is not right. Check your authenticator app and try again.',
  TOTP_CODE_REUSED: 'That one-time code was already used. Wait for the next one.',
  TOTP_LOCKED: 'Too many wrong codes. Try again later.',
  TOTP_NOT_ENROLLED: 'You have no authenticator app set up. Use a passkey instead.',
  WEBAUTHN_NOT_REGISTERED: 'You have no passkey yet. Register one under Security, or use a one-time code.',
  WEBAUTHN_CREDENTIAL_EXISTS:
    'This device already has a passkey registered with us: you can confirm it is you with it already.',
  PASSKEY_NOT_FOUND: 'We could not find this passkey among yours.',
  WEBAUTHN_CHALLENGE_INVALID: 'The passkey request ran out of time. Try again.',
  WEBAUTHN_UNKNOWN_CREDENTIAL:
    'This passkey is not one you registered with us. Use another, or a one-time code.',
  WEBAUTHN_VERIFICATION_FAILED: 'Your passkey could not be checked. Try again, or use a one-time code.',
  WEBAUTHN_COUNTER_REGRESSED:
    'We could not trust this passkey’s answer, so we refused it. Use a one-time code and tell us.',
  PASSKEY_LAST_FACTOR:
    'This is your only way to confirm it is you, so it cannot be removed. Add another passkey first.',
  WEBAUTHN_RESPONSE_MALFORMED: 'The passkey answer could not be read. Try again.',
  PASSKEY_CANCELLED: 'The passkey request was cancelled or is not available on this device.',
  PASSKEY_NEEDS_SCRIPT:
    'A passkey needs JavaScript, which is off in this browser. Use a one-time code instead, or turn JavaScript on.',
  INVALID_CREDENTIALS: 'The username or password is not right.',
  SIGN_IN_LOCKED: 'Too many attempts. Try again later.',
  SIGN_IN_BUSY: 'Many people are signing in right now. Please try again in a moment.',
  RATE_LIMITED: 'Too many requests from here. Please wait a little and try again.',
  CROSS_ORIGIN_REFUSED:
    'This request did not come from our own pages, so we refused it. Open our site again.',
  SESSION_REQUIRED: 'Please sign in.',
  SESSION_EXPIRED: 'Your session has ended. Please sign in again.',
  SESSION_INVALID: 'Your session has ended. Please sign in again.',
  CARDHOLDER_UNKNOWN:
    'We have no cards for the account you signed in with. Sign in with the account of your cards.',
  SIGN_IN_REFUSED: 'Signing in at your bank did not complete. Please start again.',
  IDENTITY_PROVIDER_UNAVAILABLE:
    'Your bank’s sign-in cannot be reached right now. Please try again in a moment.',
  HSM_UNAVAILABLE:
    'A technical problem at your bank held this up. Your request is kept and will go through shortly; check back in a moment.',
  RECEIPT_EXPIRED: 'The time to finish there ran out. Start again from your cards.',
  PUSH_UNCONFIRMED: 'Mastercard did not confirm the request in time. Nothing was added.',
  PROVISIONING_NOT_FOUND: 'We could not find this request.',
  CALLBACK_RESULTS_INVALID:
    'We could not read the answer that came back with you, so nothing was changed. The result will show here once Mastercard confirms it.',
  TOKEN_UNCONFIRMED: 'Mastercard did not confirm that your card was added. You can try again.',
  ADDITIONAL_AUTHENTICATION_REQUIRED: 'Your card needs one more check before it can be used there.',
  TOKENIZATION_DECLINED: 'Your card could not be added there.',
  CARDHOLDER_CANCELLED: 'You chose not to add the card. You can try again whenever you like.',
  TOKEN_DELETED_BY_TOKEN_REQUESTOR: 'Your card was removed there after a failed check. You can try again.',
  VALIDATION_FAILED: 'Something in the form is not right. Check it and try again.',
  'VALIDATION_FAILED.code': 'Enter the 6-digit code from your authenticator app.',
  'VALIDATION_FAILED.username': 'Enter your username.',
  'VALIDATION_FAILED.password': 'Enter your password.',
  'VALIDATION_FAILED.consent': 'Tick the box to agree to share your card details before continuing.',
  ALREADY_ADDED: 'This card is already in Click to Pay. You can manage it from “Where this card is saved”.',
  ALREADY_SAVED: 'This card was already saved there.',
  TOKEN_REQUESTOR_ERROR: 'Something went wrong there, so your card was not added. You can try again.',
  TOKEN_NOT_FOUND: 'Your card is no longer saved there.',
  CARD_BLOCKED: 'This card is blocked, so it is paused wherever it is saved until we unblock it.',
  TOKEN_MANAGEMENT_UNAVAILABLE:
    'We cannot reach Mastercard to change this right now. Please try again later.',
  TOKEN_MANAGEMENT_REFUSED:
    'Mastercard did not accept this change. Refresh the page to see where your card stands.',
  ACTIVATION_CODE_INVALID: 'That is not the code we sent. Check the message and try again.',
  ACTIVATION_CODE_UNUSABLE:
    'That code has expired or was tried too many times. Confirm with your one-time code instead.',
  ACTIVATION_NOT_FOUND: 'Nothing is waiting for your confirmation here any more.',
  CHANGE_UNCONFIRMED: 'Mastercard has not confirmed the change yet. This page will show it once it does.',
  BAD_REQUEST: 'We could not read what was sent. Go back and try again.',
  NETWORK: 'We could not reach the bank. Check your connection and try again.',
  UNEXPECTED: 'Something went wrong on our side. Please try again later.',
};

/** The page script's own few words (progress), in the same table as the refusals. */
export const UI_TEXT: Record<`ui.${string}`, string> = {
  'ui.confirming': 'Confirming it is you…',
  'ui.sending': 'Sending your card to Mastercard…',
  'ui.redirecting': 'Taking you there to finish…',
  'ui.asking': 'Asking Mastercard…',
  'ui.waiting': 'Waiting for Mastercard to confirm…',
  'ui.passkey-prompt': 'Follow your device’s prompt…',
};

const BY_LANG: Record<Lang, Record<string, string>> = {
  en: { ...REFUSALS, ...UI_TEXT },
  de: { ...REFUSALS, ...UI_TEXT, ...DE_MESSAGES },
};

/** A refusal in the page's language. */
export const messageFor = (
  code: string | null | undefined,
  fallback = REFUSALS.UNEXPECTED,
  lang: Lang = 'en',
): string => (code && BY_LANG[lang][code]) || fallback;

/** The whole table, for the page script, in the page's language. */
export const messagesFor = (lang: Lang): Record<string, string> => BY_LANG[lang];

/** Back from the token requestor, until Mastercard confirms the token. */
export const CONFIRMING_LABEL = 'Mastercard is confirming your card…';

/** Each provisioning state as the cardholder reads it. */
export const STATE_LABELS: Record<string, string> = {
  pending: 'Sending your card to Mastercard…',
  receipt_issued: 'Waiting for you to finish there…',
  completed: 'Done: your card was added.',
  failed: 'Your card was not added.',
  expired: 'This request expired before it finished.',
};
