import type { FastifyReply } from 'fastify';
import { html, rawHtml, type SafeHtml } from '../core/html.js';
import { type Lang, translator } from './i18n.js';
import { messageFor, messagesFor } from './messages.js';

// The message table travels as inert JSON; `<` is escaped so it cannot close the element.
const MESSAGES_JSON: Record<Lang, SafeHtml> = {
  en: rawHtml(JSON.stringify(messagesFor('en')).replace(/</g, '\\u003c')),
  de: rawHtml(JSON.stringify(messagesFor('de')).replace(/</g, '\\u003c')),
};

/**
 * A form's error box: the refusal worded for people when a no-script POST came back with one, else hidden
 * for app.js. `variant` picks the wording of `CODE.variant` where there is one (the same refusal, said for
 * this page's way of doing things).
 */
export const problemBox = (code: string | undefined, lang: Lang = 'en', variant?: string): SafeHtml =>
  code === undefined
    ? html`<div id="error" class="error" role="alert" hidden></div>`
    : html`<div id="error" class="error" role="alert" data-code="${code}">${messageFor(variant && `${code}.${variant}`, messageFor(code, undefined, lang), lang)}</div>`;

export interface PageOptions {
  /** In English, translated here; `{name}`s from `titleValues` (plain text). */
  title: string;
  titleValues?: Record<string, string>;
  /** Shows the signed-in navigation (cards, security, sign out). */
  signedIn?: boolean;
  /** The page's name, for the script to know what to wire. */
  page: string;
  data?: Record<string, string>;
  /** The page's language (English unless said). */
  lang?: Lang;
  /** Assets of this page alone, before the pages' own (the ops dashboard's chart library). */
  assets?: { scripts?: string[]; styles?: string[] };
}

/**
 * The shell of every page. It holds no inline script, so the issuer's
 * Content-Security-Policy (src/http/security/headers.ts: scripts from this
 * origin only) covers the pages; data for the script travels as inert JSON.
 */
export function sendPage(
  reply: FastifyReply,
  options: PageOptions,
  body: SafeHtml,
  status = 200,
): FastifyReply {
  const data = Object.entries(options.data ?? {}).map(([k, v]) => html` data-${k}="${v}"`);
  const extra = [
    ...(options.assets?.styles ?? []).map((href) => html`<link rel="stylesheet" href="${href}">`),
    ...(options.assets?.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`),
  ];
  const lang = options.lang ?? 'en';
  const t = translator(lang);
  const nav = options.signedIn
    ? html`<nav aria-label="${t('Main')}"><a href="/app/cards">${t('Your cards')}</a><a href="/app/security">${t('Security')}</a><form class="signout" method="post" action="/app/signout"><button type="submit" class="link" data-action="sign-out">${t('Sign out')}</button></form></nav>`
    : '';
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(
      html`<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t(options.title, options.titleValues)} · Pushprov Bank</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">${extra}<link rel="stylesheet" href="/assets/app.css"><script src="/assets/app.js" defer></script></head>
<body data-page="${options.page}"${data}>
<a class="skip" href="#main">${t('Skip to content')}</a>
<header><a class="brand" href="/app/cards">Pushprov Bank</a>${nav}</header>
<main id="main" tabindex="-1">
${body}
</main>
<script type="application/json" id="messages">${MESSAGES_JSON[lang]}</script>
</body></html>`.toString(),
    );
}
