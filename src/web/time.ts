import { html, type SafeHtml } from '../core/html.js';

/**
 * A moment on a page: `<time datetime="…">` with the bank's rendering in
 * UTC (said as such), which the page script rewrites into the reader's own
 * time zone and language (a server cannot know the browser's zone; without
 * script the UTC text stays, labelled).
 */
export type TimeStyle = 'date' | 'datetime';

const FORMATS: Record<TimeStyle, Intl.DateTimeFormatOptions> = {
  date: { dateStyle: 'medium', timeZone: 'UTC' },
  datetime: { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC', hourCycle: 'h23' },
};

export function formatUtc(date: Date, style: TimeStyle, locale = 'en-GB'): string {
  const text = new Intl.DateTimeFormat(locale, FORMATS[style]).format(date);
  return style === 'datetime' ? `${text} UTC` : text;
}

export const timeTag = (date: Date, style: TimeStyle = 'datetime', locale?: string): SafeHtml =>
  html`<time datetime="${date.toISOString()}" data-style="${style}">${formatUtc(date, style, locale)}</time>`;
