import { type HtmlValue, html, rawHtml, type SafeHtml, toHtml } from '../core/html.js';
import { DE_TEXT } from './i18n-de.js';

/**
 * The bank's pages in the cardholder's language: English, and German (a
 * language of the countries served). Chosen from the cardholder's own locale
 * once signed in (what they told the bank), else from the browser's
 * Accept-Language; English otherwise. Dates and numbers are formatted for it
 * (src/web/time.ts, and the page script from `<html lang>`). The ops
 * dashboard, a tool of the bank's staff, stays in English.
 *
 * Texts are keyed by their English wording (as gettext does): a page reads as
 * it is written, and a missing German text falls back to the English one.
 */
export type Lang = 'en' | 'de';

/** The locale each language formats dates and numbers in. */
export const LOCALES: Record<Lang, string> = { en: 'en-GB', de: 'de-DE' };

const TEXTS: Record<Lang, Record<string, string>> = { en: {}, de: DE_TEXT };

const supported = (tag: string | undefined): Lang | undefined => {
  const primary = tag?.trim().toLowerCase().split(/[-_]/)[0];
  return primary === 'en' || primary === 'de' ? primary : undefined;
};

export function chooseLanguage(acceptLanguage: string | undefined, cardholderLocale?: string): Lang {
  const own = supported(cardholderLocale);
  if (own) return own;
  // Accept-Language: tags by their q (1 when absent), best first; q=0 means "not this one".
  const wanted = (acceptLanguage ?? '')
    .split(',')
    .slice(0, 20)
    .map((part, i) => {
      const [tag, ...params] = part.split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag, q: q === undefined ? 1 : Number(q), i };
    })
    .filter((w) => w.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of wanted) {
    const lang = supported(tag);
    if (lang) return lang;
  }
  return 'en';
}

/**
 * A page's words in its language, as HTML: the text is escaped, each
 * `{name}` is replaced by its value as HTML (text escaped, SafeHtml as it is,
 * a number formatted for the language).
 */
export type Translate = (text: string, values?: Record<string, HtmlValue>) => SafeHtml;

export const translator = (lang: Lang): Translate => {
  const numbers = new Intl.NumberFormat(LOCALES[lang]);
  return (text, values = {}) =>
    rawHtml(
      html`${TEXTS[lang][text] ?? text}`.toString().replace(/\{(\w+)\}/g, (whole, key: string) => {
        const value = values[key];
        if (value === undefined) return whole;
        // A number reads as the language writes it (1,234 / 1.234).
        return toHtml(typeof value === 'number' ? numbers.format(value) : value);
      }),
    );
};
