const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and attribute values (quoted). */
const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);

/**
 * A piece of HTML known to be safe: built by `html`, whose every
 * interpolated text was escaped. Pages are typed as SafeHtml end to end, so
 * text cannot reach a page unescaped by forgetting to escape it.
 */
export class SafeHtml {
  readonly #html: string;

  private constructor(html: string) {
    this.#html = html;
  }

  /** Only this module makes SafeHtml: from `html` and `rawHtml`. */
  static of(html: string): SafeHtml {
    return new SafeHtml(html);
  }

  toString(): string {
    return this.#html;
  }
}

/** What a page may interpolate: text (escaped), SafeHtml (as it is), lists of either (joined), nothing (''). */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

/** A value as HTML: text escaped, SafeHtml kept, a list joined, false, null and undefined as nothing. */
export const toHtml = (value: HtmlValue): string => {
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(toHtml).join('');
  if (value === null || value === undefined || value === false || value === true) return '';
  return escapeHtml(String(value));
};

/**
 * The template tag of every page: the literal parts are the page's own
 * markup, every interpolated value passes through `toHtml`.
 */
export const html = (strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml =>
  SafeHtml.of(strings.reduce((out, part, i) => out + toHtml(values[i - 1]) + part));

/** SafeHtml items with a separator between them (the separator is markup). */
export const joinHtml = (items: readonly HtmlValue[], separator: SafeHtml): SafeHtml =>
  SafeHtml.of(items.map(toHtml).join(separator.toString()));

/**
 * Markup that is safe by construction but not built with `html`: JSON made
 * inert for a `<script type="application/json">`, say. Each use is a place
 * to review; nothing a caller sent may reach it.
 */
export const rawHtml = (markup: string): SafeHtml => SafeHtml.of(markup);
