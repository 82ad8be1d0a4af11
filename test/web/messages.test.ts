import { describe, expect, it } from 'vitest';
import { ERROR_CODES, PUSH_OUTCOMES } from '../../src/core/error-codes.js';
import { messageFor, REFUSALS } from '../../src/web/messages.js';

/** The catalogue's codes the bank's pages can show, and the ways a push can end. */
const shown = [
  ...Object.entries(ERROR_CODES)
    .filter(([, entry]) => 'cardholder' in entry)
    .map(([code]) => code),
  ...Object.keys(PUSH_OUTCOMES),
];

describe('the wording of the codes a page can show', () => {
  it('covers the cardholder’s errors: sign-in, step-up, pushes, saved cards', () => {
    expect(shown).toEqual(
      expect.arrayContaining([
        'SESSION_EXPIRED',
        'SCA_REQUIRED',
        'CARD_EXPIRED',
        'TOKEN_NOT_FOUND',
        'RECEIPT_EXPIRED',
      ]),
    );
    expect(shown).not.toContain('OPS_KEY_INVALID');
  });

  it('words each of them in English and in German, none by the generic fallback', () => {
    const generic = { en: messageFor('UNEXPECTED'), de: messageFor('UNEXPECTED', undefined, 'de') };
    const unworded = shown.flatMap((code) =>
      (['en', 'de'] as const).flatMap((lang) => {
        const text = messageFor(code, '', lang);
        return text === '' || (text === generic[lang] && code !== 'UNEXPECTED') ? [`${code} (${lang})`] : [];
      }),
    );
    expect(unworded).toEqual([]);
  });

  it('words in German what it words in English, differently', () => {
    const same = Object.keys(REFUSALS).filter(
      (code) => messageFor(code, '', 'de') === messageFor(code, '', 'en'),
    );
    expect(same).toEqual([]);
  });
});
