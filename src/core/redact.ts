import { isPanShaped } from './luhn.js';

/**
 * Log redaction. Two nets, because one is never enough for card data:
 * fields whose *name* says they hold a secret are replaced wherever they sit,
 * and any run of 13–19 digits (optionally grouped by spaces or dashes) that
 * passes Luhn is masked wherever it appears in the serialised line — in a
 * message, an error, a URL or a field with an innocent name.
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEYS = new Set(
  [
    'pan',
    'accountnumber',
    'primaryaccountnumber',
    'cardnumber',
    'cvc',
    'cvc2',
    'cvv',
    'cvv2',
    'securitycode',
    'password',
    'passphrase',
    'secret',
    'clientsecret',
    'authorization',
    'proxy-authorization',
    'cookie',
    'set-cookie',
    'privatekey',
    'signingkey',
    'kek',
    'dek',
    'apikey',
    'otp',
    'totp',
    'code_verifier',
    'encryptedpayload',
    'encrypteddata',
    'email',
    'emailaddress',
    'phone',
    'phonenumber',
    'mobilenumber',
    'dateofbirth',
  ].map((k) => k.toLowerCase()),
);

const isSecretKey = (key: string): boolean => SECRET_KEYS.has(key.toLowerCase());

/** Deep copy of a log object with secret-named fields replaced. */
export function redactFields(value: unknown, depth = 0): unknown {
  if (depth > 12 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactFields(v, depth + 1));
  // Only plain objects are copied: class instances (requests, errors) keep
  // their getters and are shaped by their serializers instead.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) ? REDACTED : redactFields(v, depth + 1);
  }
  return out;
}

// Digit runs with optional single space/dash separators, bounded by
// non-digits; digits after a decimal point are a fraction, not a card.
const DIGIT_RUN = /(?<![\d.])\d(?:[ -]?\d){12,22}(?!\d|\.\d)/g;

/** Masks every PAN-shaped number in a string, keeping the last four digits. */
export function maskPans(text: string): string {
  return text.replace(DIGIT_RUN, (run) => {
    const digits = run.replace(/[ -]/g, '');
    if (isPanShaped(digits)) return `[PAN …${digits.slice(-4)}]`;
    // A longer run may embed a PAN (e.g. a reference that starts with one).
    for (let len = 19; len >= 13; len--) {
      for (let i = 0; i + len <= digits.length; i++) {
        if (isPanShaped(digits.slice(i, i + len))) return '[DIGITS REDACTED]';
      }
    }
    return run;
  });
}

// A query parameter's name is kept when it is a plain word; a name that
// carries data (MDESRQ's `results[<receipt>]`) is replaced like a value.
const PLAIN_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,39}$/;

/**
 * A request URL as it may be logged: the path, and the query's parameter
 * names with every value replaced. Query strings carry what grants access
 * (a callback's `state`, MDES's signed `pushAccountData`, receipts, a
 * `callbackURL` holding its own `state`), and a log is no place for them.
 */
export function loggableUrl(url: string): string {
  const at = url.indexOf('?');
  if (at === -1) return url;
  const names: string[] = [];
  for (const pair of url.slice(at + 1).split('&')) {
    if (pair === '') continue;
    const raw = pair.split('=', 1)[0] ?? '';
    let name: string;
    try {
      name = decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      name = raw;
    }
    names.push(`${PLAIN_NAME.test(name) ? name : REDACTED}=${REDACTED}`);
  }
  return names.length > 0 ? `${url.slice(0, at)}?${names.join('&')}` : url.slice(0, at);
}
