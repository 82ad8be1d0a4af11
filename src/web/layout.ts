import type { FastifyReply } from 'fastify';
import { escapeHtml } from '../core/html.js';
import { REFUSALS } from './messages.js';

/**
 * The shell of every page. Scripts come only from this origin (the one
 * file the issuer serves) so a stored value that escaped escaping could
 * still not run; images may be data: for the card art.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

// The message table travels as inert JSON; `<` is escaped so it cannot close the element.
const MESSAGES_JSON = JSON.stringify(REFUSALS).replace(/</g, '\\u003c');

export interface PageOptions {
  title: string;
  /** Shows the signed-in navigation (cards, security, sign out). */
  signedIn?: boolean;
  /** The page's name, for the script to know what to wire. */
  page: string;
  data?: Record<string, string>;
}

export function sendPage(
  reply: FastifyReply,
  options: PageOptions,
  body: string,
  status = 200,
): FastifyReply {
  const data = Object.entries(options.data ?? {})
    .map(([k, v]) => ` data-${k}="${escapeHtml(v)}"`)
    .join('');
  const nav = options.signedIn
    ? `<nav aria-label="Main"><a href="/app/cards">Your cards</a><a href="/app/security">Security</a><button type="button" class="link" data-action="sign-out">Sign out</button></nav>`
    : '';
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'same-origin')
    .header('x-content-type-options', 'nosniff')
    .send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)} · Pushprov Bank</title>
<link rel="stylesheet" href="/assets/app.css"><script src="/assets/app.js" defer></script></head>
<body data-page="${escapeHtml(options.page)}"${data}>
<a class="skip" href="#main">Skip to content</a>
<header><a class="brand" href="/app/cards">Pushprov Bank</a>${nav}</header>
<main id="main" tabindex="-1">
${body}
</main>
<script type="application/json" id="messages">${MESSAGES_JSON}</script>
</body></html>`);
}
