import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, PushprovError } from '../core/errors.js';
import { html, joinHtml, type SafeHtml } from '../core/html.js';
import { isFinal } from '../domain/provisioning.js';
import { type AuthGuards, cardholderOf } from '../http/auth/guards.js';
import { DEMO_FIXTURE_PATH, type DemoCredential, type DemoFixture } from '../service/auth/demo.js';
import type { PasskeyService } from '../service/auth/passkeys.js';
import type { ProvisioningService } from '../service/provisioning/index.js';
import type { PendingActivation } from '../service/tokens/activations.js';
import type { TokenManagement } from '../service/tokens/management.js';
import { pendingActivationsSection } from './activations.js';
import { staticAssets } from './assets.js';
import { chooseLanguage, type Lang, LOCALES, type Translate, translator } from './i18n.js';
import { problemBox, sendPage } from './layout.js';
import { CONFIRMING_LABEL, messageFor, STATE_LABELS } from './messages.js';
import { safeNext } from './next.js';
import { nextSteps } from './next-steps.js';
import { opsPage } from './ops.js';
import { savedCardsBody, savedCardsPath } from './saved-cards.js';
import { timeTag } from './time.js';

/**
 * The bank's reference pages: sign-in, the card list with "Add to Click to
 * Pay", destinations, consent with step-up, the result, where each card is
 * saved (with pause, resume and remove), passkey set-up, and the ops dashboard. Pages are rendered from the same services the API
 * uses; the browser script only signs in, steps up, pushes and polls, all
 * through the JSON API, so every business rule lives in the services.
 */
export interface WebPagesOptions {
  provisioning: ProvisioningService;
  tokenManagement: Pick<TokenManagement, 'list'>;
  /** Requests to save a card that wait for the cardholder to confirm it was them; none shown without it. */
  activations?: {
    pending(cardholderId: string, cardId: string): Promise<PendingActivation[]>;
    /** The name the cardholder knows a token requestor by. */
    nameOf(tokenRequestorId: string): Promise<string>;
  };
  guards: Pick<AuthGuards, 'requireCardholder'>;
  /** Which step-up methods a cardholder has (a passkey is offered only to one who registered it). */
  factors?: { status(cardholderId: string): Promise<{ totp: boolean; passkeys: number }> };
  /** The cardholder's passkeys, listed on the Security page. */
  passkeys?: Pick<PasskeyService, 'list'>;
  clickToPayTokenRequestorId: string;
  /** Simulator mode: list the demo cardholders and their TOTP secrets on the sign-in page. */
  demo: boolean;
  /**
   * Cardholders sign in and step up at the bank's identity provider
   * (src/web/oidc.ts serves `/app/signin`): the consent sends them there to confirm.
   */
  identityProvider?: boolean;
  links: { simulatorUrl: string; merchantUrl: string };
  /** The cardholder's own locale (`de-DE`…), which chooses the pages' language once signed in. */
  localeOf?: (cardholderId: string) => Promise<string | undefined>;
}

/**
 * Mastercard's own Click to Pay terms and privacy notice (one text for every
 * country it serves, Germany linked from it).
 */
const CLICK_TO_PAY_TERMS = 'https://www.mastercard.com/global/click-to-pay/en-gb/terms-of-use.html';
const CLICK_TO_PAY_PRIVACY = 'https://www.mastercard.com/global/click-to-pay/en-gb/privacy-notice.html';
/** Each shared element named as the cardholder's own. */
const SHARED_LABELS: Record<string, string> = {
  NAME: 'Your name',
  EMAIL_ADDRESS: 'Your email',
  MOBILE_PHONE_NUMBER: 'Your mobile number',
  ADDRESS: 'Your billing address',
};

/** A card's status as the cardholder reads it. */
const CARD_STATUS: Record<string, string> = { active: 'active', blocked: 'blocked', closed: 'closed' };

type PasskeyListing = Awaited<ReturnType<PasskeyService['list']>>[number];

export const resultPage = (provisioningId: string): string => `/app/provisionings/${provisioningId}`;

const Id = (prefix: string) => Type.String({ pattern: `^${prefix}_[a-z0-9]{8,40}$`, maxLength: 48 });
/** A form's refusal, brought back by its POST handler (src/web/forms.ts) as a code. */
const Problem = Type.Object({ problem: Type.Optional(Type.String({ pattern: '^[A-Z_]{3,64}$' })) });
const SignInQuery = Type.Object({
  problem: Type.Optional(Type.String({ pattern: '^[A-Z_]{3,64}$' })),
  next: Type.Optional(Type.String({ maxLength: 256 })),
});

const hide = { hide: true };
const month = (m: number, y: number) => `${String(m).padStart(2, '0')}/${String(y).slice(-2)}`;

async function demoCredentials(): Promise<DemoCredential[]> {
  const fixture = JSON.parse(await readFile(DEMO_FIXTURE_PATH, 'utf8')) as DemoFixture;
  return fixture.cardholders.flatMap((c) => (c.demo ? [c.demo] : []));
}

/** Pages (and their forms) answer with pages: no session → the sign-in page; a refusal → its message. */
export function pageErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof AuthError) {
    // Back where they were going once signed in (a page of ours only).
    const next = request.method === 'GET' ? safeNext(request.url) : undefined;
    return reply.redirect(next ? `/app/signin?next=${encodeURIComponent(next)}` : '/app/signin', 303);
  }
  const known = error instanceof PushprovError;
  // Fastify's own client errors (a body too large, say) keep their status; anything else unknown is ours.
  const client = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500;
  const status = error.validation ? 404 : known ? error.status : client ? (error.statusCode ?? 400) : 500;
  if (status >= 500) request.log.error({ err: error }, 'page failed');
  const code = error.validation ? 'NOT_FOUND' : known ? error.code : client ? 'BAD_REQUEST' : 'UNEXPECTED';
  // The browser's language: a refusal may come before anything of the cardholder is known.
  const lang = chooseLanguage(request.headers['accept-language']);
  const t = translator(lang);
  return sendPage(
    reply,
    { title: 'Something stopped us', page: 'error', signedIn: request.cardholder !== undefined, lang },
    html`<h1>${t('We could not do that')}</h1>
<p class="refusal" data-code="${code}">${messageFor(code, '', lang) || (status === 404 ? t('This page does not exist.') : messageFor(code, undefined, lang))}</p>
<p><a class="btn" href="/app/cards">${t('Back to your cards')}</a></p>`,
    status,
  );
}

/** Where a passkey lives, as its record tells (WebAuthn's device type and transports). */
function passkeyKind(p: PasskeyListing, t: Translate): SafeHtml {
  if (p.deviceType === 'multiDevice' || p.backedUp) return t('Synced across your devices');
  if (p.transports.includes('internal')) return t('This device’s screen lock');
  if (p.transports.includes('usb') || p.transports.includes('nfc')) return t('Security key');
  return t('On one device');
}

/**
 * One passkey with its removal: a disclosure holding a POST form, no script needed. The form confirms
 * with a fresh one-time code, or, with the bank's provider (`idp`), at the bank's sign-in after it.
 */
function passkeyItem(p: PasskeyListing, n: number, lang: Lang, idp: boolean): SafeHtml {
  const t = translator(lang);
  const id = `passkey-${n}`;
  const at = (date: Date) => timeTag(date, 'datetime', LOCALES[lang]);
  return html`<li class="passkey" id="${id}">
<p><strong>${t('Passkey {n}', { n })}</strong> · ${passkeyKind(p, t)}<br>
<span class="muted">${t('Added {when}', { when: at(p.createdAt) })} · ${p.lastUsedAt ? t('last used {when}', { when: at(p.lastUsedAt) }) : t('not used yet')}</span></p>
<details><summary>${t('Remove')}<span class="sr-only"> ${t('passkey {n}', { n })}</span></summary>
<form class="panel" method="post" action="/app/security/passkeys/remove" novalidate>
<input type="hidden" name="passkey" value="${p.id}">
${
  idp
    ? html`<p data-step-up="idp">${t('You confirm it is you at the bank’s sign-in; then the passkey is removed.')}</p>`
    : html`<p>${t('Lost this device? Removing the passkey stops it confirming it is you. Confirm with a one-time code first.')}</p>
<label for="${id}-code">${t('One-time code')}</label>
<input id="${id}-code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>`
}
<div class="button-row"><button type="submit" class="btn danger">${t('Remove passkey {n}', { n })}</button></div>
</form></details></li>`;
}

export function webPages(options: WebPagesOptions): FastifyPluginAsync {
  const { provisioning, guards } = options;
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const demoUsers = options.demo ? await demoCredentials() : [];
    await app.register(staticAssets);
    // Without the factors (a test's pages) a passkey is offered and the API decides.
    const hasPasskey = async (cardholderId: string) =>
      ((await options.factors?.status(cardholderId))?.passkeys ?? 1) > 0;

    app.setErrorHandler(pageErrorHandler);
    /** The page's language: the signed-in cardholder's own locale, else the browser's. */
    const languageOf = async (request: FastifyRequest): Promise<Lang> =>
      chooseLanguage(
        request.headers['accept-language'],
        request.cardholder &&
          (await options.localeOf?.(request.cardholder.cardholderId).catch(() => undefined)),
      );

    app.get('/', { schema: hide }, async (_request, reply) =>
      sendPage(
        reply,
        { title: 'Welcome', page: 'home' },
        html`<h1>pushprov</h1>
<p>Issuer push provisioning to Mastercard Click to Pay and Secure Card on File.</p>
<ul class="links">
<li><a href="/app/signin">Sign in to the bank</a> (demo cardholders)</li>
<li><a href="/ops">Ops dashboard</a></li>
<li><a href="/docs">API reference (OpenAPI)</a></li>
<li><a href="/readyz">Readiness</a> · <a href="/metrics">Metrics</a></li>
<li><a href="${options.links.simulatorUrl}/">Mastercard simulator</a></li>
<li><a href="${options.links.merchantUrl}/">Demo merchant</a></li>
</ul>`,
      ),
    );

    app.get('/app', { schema: hide }, async (_request, reply) => reply.redirect('/app/cards', 303));

    if (!options.identityProvider)
      app.get('/app/signin', { schema: { ...hide, querystring: SignInQuery } }, async (request, reply) => {
        const lang = await languageOf(request);
        const t = translator(lang);
        const next = safeNext(request.query.next);
        const demo =
          demoUsers.length === 0
            ? ''
            : html`<section class="demo" aria-labelledby="demo-title">
<h2 id="demo-title"><span class="tag">demo</span> ${t('Demo cardholders (simulator mode only)')}</h2>
<p>${t('These sign-ins exist only in simulator mode. Add a TOTP secret to any authenticator app to get one-time codes.')}</p>
<div class="scroll"><table><caption class="sr-only">${t('Demo cardholders')}</caption>
<thead><tr><th scope="col">${t('Username')}</th><th scope="col">${t('Password')}</th><th scope="col">${t('TOTP secret')}</th><th scope="col"></th></tr></thead>
<tbody>${demoUsers.map(
                (u) =>
                  html`<tr><td>${u.username}</td><td><code>${u.password}</code></td><td><code>${u.totpSecret}</code></td>
<td><button type="button" class="secondary small" data-action="fill" data-username="${u.username}" data-password="${u.password}">${t('Use')}<span class="sr-only"> ${u.username}</span></button></td></tr>`,
              )}</tbody></table></div></section>`;
        return sendPage(
          reply,
          { title: 'Sign in', page: 'signin', lang },
          html`<h1>${t('Sign in')}</h1>
<form id="signin" class="panel" method="post" action="/app/signin" novalidate>
${problemBox(request.query.problem, lang)}
${next ? html`<input type="hidden" name="next" value="${next}">` : ''}
<label for="username">${t('Username')}</label>
<input id="username" name="username" autocomplete="username" required>
<label for="password">${t('Password')}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" class="btn">${t('Sign in')}</button>
</form>
${demo}`,
        );
      });

    app.get('/app/cards', { schema: hide, onRequest: guards.requireCardholder }, async (request, reply) => {
      const cards = await provisioning.cards(cardholderOf(request).cardholderId);
      const lang = await languageOf(request);
      const t = translator(lang);
      const c2p = options.clickToPayTokenRequestorId;
      // Each link's accessible name starts with its visible label (WCAG 2.5.3), then names the card for a
      // screen reader, which hears several cards' links alike.
      const items = cards.map((card) => {
        const name = t('{product} ending in {lastFour}', {
          product: card.productName,
          lastFour: card.lastFour,
        });
        const actions = card.eligible
          ? html`${
              card.inClickToPay
                ? html`<p class="added" data-added="click-to-pay">✓ ${t('Added to Click to Pay')} · <a href="${savedCardsPath(card.id)}">${t('Manage')}<span class="sr-only"> ${t('{card} in Click to Pay', { card: name })}</span></a></p>`
                : card.clickToPay
                  ? html`<div class="banner"><p>${t('Check out faster online: add this card to Click to Pay, as you would to a phone wallet.')}</p>
<a class="btn" href="/app/cards/${card.id}/destinations/${c2p}/consent">${t('Add to Click to Pay')}<span class="sr-only">: ${name}</span></a></div>`
                  : ''
            }<a class="btn secondary" href="/app/cards/${card.id}/destinations">${t('Add to a merchant or wallet')}<span class="sr-only">: ${name}</span></a>`
          : html`<p class="refusal" data-code="${card.refusal?.code ?? ''}">${messageFor(card.refusal?.code, undefined, lang)}</p>`;
        return html`<li class="card-item">
<div class="card-art" aria-hidden="true"><span>${card.productName}</span><span class="num">•••• ${card.lastFour}</span></div>
<div><h2>${card.productName} <span class="muted">•••• ${card.lastFour}</span></h2>
<p class="muted">${t('Expires {month}', { month: month(card.expiryMonth, card.expiryYear) })} · ${card.country} · ${t(CARD_STATUS[card.status] ?? card.status)}</p>
${actions}
<p><a href="${savedCardsPath(card.id)}">${t('Where this card is saved')}<span class="sr-only">: ${name}</span></a></p></div></li>`;
      });
      return sendPage(
        reply,
        { title: 'Your cards', page: 'cards', signedIn: true, lang },
        html`<h1>${t('Your cards')}</h1>
${cards.length === 0 ? html`<p>${t('You have no cards.')}</p>` : html`<ul class="cards">${items}</ul>`}
<p><a href="/app/provisionings">${t('Cards you added')}</a></p>`,
      );
    });

    app.get(
      '/app/cards/:cardId/destinations',
      {
        schema: { ...hide, params: Type.Object({ cardId: Id('crd') }) },
        onRequest: guards.requireCardholder,
      },
      async (request, reply) => {
        const { card, refusal, destinations } = await provisioning.destinations(
          cardholderOf(request).cardholderId,
          request.params.cardId,
        );
        const lang = await languageOf(request);
        const t = translator(lang);
        const logo = (d: (typeof destinations)[number]) =>
          d.logoAssetId
            ? html`<img src="/v1/assets/${d.logoAssetId}" alt="" width="48" height="48">`
            : html`<span class="logo-blank" aria-hidden="true"></span>`;
        const list = destinations.map((d) =>
          // Already in Click to Pay: nothing to add again, the card is managed where it is saved.
          d.alreadyAdded && d.kind === 'click_to_pay'
            ? html`<li><a class="destination added" href="${savedCardsPath(card.id)}">
${logo(d)}
<span><strong>${d.name}</strong><span class="muted">${t('Already added · manage it')}</span></span></a></li>`
            : html`<li><a class="destination" href="/app/cards/${card.id}/destinations/${d.tokenRequestorId}/consent">
${logo(d)}
<span><strong>${d.name}</strong><span class="muted">${t(d.alreadyAdded ? 'Already saved here · save again' : d.kind === 'click_to_pay' ? 'Pay online without typing your card' : 'Save your card at this merchant')}</span></span></a></li>`,
        );
        return sendPage(
          reply,
          { title: 'Choose where to add your card', page: 'destinations', signedIn: true, lang },
          html`<h1>${t('Where should we add your {card}?', { card: `${card.productName} •••• ${card.lastFour}` })}</h1>
${refusal ? html`<p class="refusal" data-code="${refusal.code}">${messageFor(refusal.code, undefined, lang)}</p>` : ''}
${list.length > 0 ? html`<ul class="destinations">${list}</ul>` : refusal ? '' : html`<p>${t('No destination accepts this card yet.')}</p>`}
<p><a href="/app/cards">${t('Back to your cards')}</a></p>`,
        );
      },
    );

    app.get(
      '/app/cards/:cardId/destinations/:tokenRequestorId/consent',
      {
        schema: {
          ...hide,
          params: Type.Object({
            cardId: Id('crd'),
            tokenRequestorId: Type.String({ pattern: '^[0-9]{11}$' }),
          }),
          querystring: Problem,
        },
        onRequest: guards.requireCardholder,
      },
      async (request, reply) => {
        const { cardholderId } = cardholderOf(request);
        // The cardholder's own details, whole: they check them on their own signed-in page before sharing.
        const { card, destination, shared } = await provisioning.consent(
          cardholderId,
          request.params.cardId,
          request.params.tokenRequestorId,
          'own',
        );
        const lang = await languageOf(request);
        const t = translator(lang);
        const name = destination.name;
        const rows = [
          html`<dt>${t('Your card')}</dt><dd>${t('{product} ending in {lastFour}, expires {month}: as a stand-in number (a token), never your card number', { product: card.productName, lastFour: card.lastFour, month: month(card.expiryMonth, card.expiryYear) })}</dd>`,
          ...shared.map((s) => html`<dt>${t(SHARED_LABELS[s.element] ?? s.label)}</dt><dd>${s.value}</dd>`),
        ];
        const clickToPay = destination.kind === 'click_to_pay';
        return sendPage(
          reply,
          {
            title: 'Add to {name}',
            titleValues: { name: destination.name },
            page: 'consent',
            signedIn: true,
            lang,
            data: { 'card-id': card.id, trid: destination.tokenRequestorId },
          },
          html`<h1>${t('Add your card to {name}', { name })}</h1>
<form id="push" class="panel" method="post" action="/app/cards/${card.id}/destinations/${destination.tokenRequestorId}/consent" novalidate>
<input type="hidden" name="idempotencyKey" value="${randomUUID()}">
<h2>${t('What {name} will receive', { name })}</h2>
<p>${clickToPay ? t('Mastercard gives Click to Pay the following, so that Click to Pay can recognise you and fill in your card when you pay online:') : t('Mastercard gives {name} the following, so that {name} can charge your card when you buy there:', { name })}</p>
<dl class="shared">${rows}</dl>
<p class="muted">${shared.length === 0 ? '' : `${t('These are your details as the bank holds them, shown only to you: if something is out of date, contact us before adding the card.')} `}${t('{name} receives nothing else from us: never your card number, security code or PIN.', { name })}</p>
${
  clickToPay
    ? html`<p>${t(
        'Click to Pay is Mastercard’s service: its {terms} and {privacy} apply to your Click to Pay profile.',
        {
          terms: html`<a href="${CLICK_TO_PAY_TERMS}" rel="noopener">${t('terms of use')}</a>`,
          privacy: html`<a href="${CLICK_TO_PAY_PRIVACY}" rel="noopener">${t('privacy notice')}</a>`,
        },
      )}</p>`
    : ''
}
<div class="check"><input type="checkbox" id="consent" name="consent" required aria-describedby="consent-help">
<label for="consent">${t('I agree to share this card and the details above with {name}.', { name })}</label></div>
<p id="consent-help" class="muted">${t('You can pause or remove the card there at any time, from “Where this card is saved”.')}</p>
${
  options.identityProvider
    ? html`<fieldset data-step-up="idp"><legend>${t('Confirm it is you')}</legend>
<p>${t('You confirm it is you at the bank’s sign-in; then the card is added.')}</p></fieldset>`
    : html`<fieldset><legend>${t('Confirm it is you')}</legend>
<div class="check"><input type="radio" id="method-code" name="method" value="code" checked><label for="method-code">${t('One-time code from my authenticator app')}</label></div>
${
  (await hasPasskey(cardholderId))
    ? html`<div class="check"><input type="radio" id="method-passkey" name="method" value="passkey"><label for="method-passkey">${t('Passkey on this device')}</label></div>`
    : html`<p class="muted">${t('No passkey yet: {link} to confirm with this device next time.', { link: html`<a href="/app/security">${t('add one under Security')}</a>` })}</p>`
}
<div id="code-field"><label for="code">${t('One-time code')}</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6"></div>
</fieldset>`
}
${problemBox(request.query.problem, lang, options.identityProvider ? 'idp' : undefined)}
<div id="progress" class="progress" role="status" aria-live="polite"></div>
<div class="button-row"><button type="submit" class="btn">${t('Add to {name}', { name })}</button>
<a class="btn secondary" href="/app/cards">${t('Cancel')}</a></div>
</form>`,
        );
      },
    );

    app.get(
      '/app/provisionings',
      { schema: hide, onRequest: guards.requireCardholder },
      async (request, reply) => {
        const { cardholderId } = cardholderOf(request);
        const list = await provisioning.list(cardholderId);
        const lang = await languageOf(request);
        const t = translator(lang);
        // Which card each push took: the cardholder has several.
        const cardNames = new Map<string, SafeHtml>();
        const names = new Map<string, SafeHtml>();
        for (const p of list) {
          const named = [];
          for (const { cardId } of p.cards) {
            if (!cardNames.has(cardId)) {
              const c = await provisioning.card(cardholderId, cardId).catch(() => undefined);
              cardNames.set(cardId, c ? html`${c.productName} •••• ${c.lastFour}` : t('a card'));
            }
            named.push(cardNames.get(cardId));
          }
          names.set(p.id, joinHtml(named, html`, `));
        }
        return sendPage(
          reply,
          { title: 'Cards you added', page: 'provisionings', signedIn: true, lang },
          html`<h1>${t('Cards you added')}</h1>
${
  list.length === 0
    ? html`<p>${t('Nothing yet.')}</p>`
    : html`<ul class="plain">${list.map(
        (p) =>
          html`<li><a href="${resultPage(p.id)}">${p.tokenRequestor.name}</a> · ${names.get(p.id) ?? ''} · ${t(STATE_LABELS[p.state] ?? p.state)} <span class="muted">${timeTag(new Date(p.createdAt), 'datetime', LOCALES[lang])}</span></li>`,
      )}</ul>`
}`,
        );
      },
    );

    app.get(
      '/app/provisionings/:id',
      {
        schema: {
          ...hide,
          params: Type.Object({ id: Id('prv') }),
          querystring: Type.Object({ problem: Type.Optional(Type.Literal('CALLBACK_RESULTS_INVALID')) }),
        },
        onRequest: guards.requireCardholder,
      },
      async (request, reply) => {
        const { cardholderId } = cardholderOf(request);
        const view = await provisioning.view(cardholderId, request.params.id);
        const { problem } = request.query;
        const lang = await languageOf(request);
        const t = translator(lang);
        const final = isFinal(view.state);
        const cards = await Promise.all(view.cards.map((c) => provisioning.card(cardholderId, c.cardId)));
        const cardNames = cards.map(
          (c) =>
            html`<li>${c.productName} •••• ${c.lastFour}${
              view.state === 'completed'
                ? html` · <a href="${savedCardsPath(c.id)}">${t('Where this card is saved')}</a>`
                : ''
            }</li>`,
        );
        const name = view.tokenRequestor.name;
        const next = view.redirectUrl
          ? html`<p><a class="btn" href="${view.redirectUrl}">${t('Continue to {name}', { name })}</a></p>`
          : '';
        // Back from the token requestor, its word taken down, MDES not heard from yet.
        const confirming =
          view.state === 'receipt_issued' && view.cards.some((c) => c.reportedResult !== null);
        // Each reason once: a card's error repeating the push's own is not said twice.
        const cardErrors = [
          ...new Set(view.cards.map((c) => c.errorCode).filter((code) => code && code !== view.error?.code)),
        ].map((code) => html`<li data-code="${code ?? ''}">${messageFor(code, undefined, lang)}</li>`);
        // A cancel is the cardholder's choice, not a failure: said plainly, with the way to try again.
        const cancelled =
          view.state === 'failed' && view.cards.every((c) => c.errorCode === 'CARDHOLDER_CANCELLED');
        const stateLabel = t(
          cancelled ? 'You chose not to add it this time.' : (STATE_LABELS[view.state] ?? view.state),
        );
        const retry =
          cancelled && cards[0]
            ? html`<p><a class="btn" href="/app/cards/${cards[0].id}/destinations/${view.tokenRequestor.id}/consent">${t('Try again')}</a></p>`
            : '';
        return sendPage(
          reply,
          {
            title: final ? 'Result' : 'In progress',
            page: 'result',
            signedIn: true,
            lang,
            data: { 'provisioning-id': view.id, state: view.state, final: String(final) },
          },
          html`<h1>${name}</h1>
${cardNames.length > 0 ? html`<ul class="plain result-cards" aria-label="${t(cards.length > 1 ? 'Cards' : 'Card')}">${cardNames}</ul>` : ''}
<div class="panel result ${cancelled ? 'cancelled' : view.state}">
<p id="state" role="status" aria-live="polite" data-state="${view.state}">${final ? '' : html`<span class="spinner" aria-hidden="true"></span>`}${confirming ? t(CONFIRMING_LABEL) : stateLabel}</p>
${problem ? html`<p class="refusal" data-code="${problem}">${messageFor(problem, undefined, lang)}</p>` : ''}
${view.error ? html`<p class="${cancelled ? 'note' : 'refusal'}" data-code="${view.error.code}">${messageFor(view.error.code, undefined, lang)}</p>` : ''}
${cardErrors.length > 0 ? html`<ul>${cardErrors}</ul>` : ''}
${next}${retry}
${
  // Without script nothing updates the page: a link to look again.
  final
    ? ''
    : html`<noscript><p><a class="btn secondary" href="${resultPage(view.id)}">${t('Check again')}</a></p></noscript>`
}
${nextSteps(
  {
    id: view.id,
    state: view.state,
    errorCode: view.error?.code ?? view.cards.find((c) => c.errorCode)?.errorCode ?? undefined,
    destination: {
      id: view.tokenRequestor.id,
      name,
      kind: view.tokenRequestor.id === options.clickToPayTokenRequestorId ? 'click_to_pay' : 'merchant',
    },
    cardId: cards[0]?.id,
    confirming,
    canContinue: Boolean(view.redirectUrl),
  },
  lang,
)}
</div>
<p><a href="/app/cards">${t('Back to your cards')}</a></p>`,
        );
      },
    );

    app.get(
      '/app/cards/:cardId/saved',
      {
        schema: {
          ...hide,
          params: Type.Object({ cardId: Id('crd') }),
          querystring: Type.Object({
            changed: Type.Optional(Id('tok')),
            asked: Type.Optional(Id('tok')),
            confirm: Type.Optional(Id('tok')),
            resume: Type.Optional(Id('tok')),
            activation: Type.Optional(Type.Union([Type.Literal('requested'), Type.Literal('rejected')])),
            problem: Problem.properties.problem,
          }),
        },
        onRequest: guards.requireCardholder,
      },
      async (request, reply) => {
        const { cardholderId } = cardholderOf(request);
        const card = await provisioning.card(cardholderId, request.params.cardId);
        const tokens = await options.tokenManagement.list(cardholderId, card.id);
        const { changed, asked, confirm, resume, activation, problem } = request.query;
        const opened = resume ?? confirm;
        const lang = await languageOf(request);
        const t = translator(lang);
        const { activations } = options;
        const pending = activations
          ? await Promise.all(
              (await activations.pending(cardholderId, card.id)).map(async (p) => ({
                ...p,
                tokenRequestorName: await activations.nameOf(p.tokenRequestorId),
              })),
            )
          : [];
        return sendPage(
          reply,
          {
            title: 'Where your card is saved',
            page: 'saved',
            signedIn: true,
            lang,
            data: { 'card-id': card.id },
          },
          savedCardsBody(card, tokens, {
            changed: tokens.find((t) => t.id === changed),
            asked: tokens.find((t) => t.id === asked),
            // A "was this you?" answer, said in the page's flash.
            said:
              activation === 'requested'
                ? t('Thank you. Mastercard is activating your card there; it shows below once it is done.')
                : activation === 'rejected'
                  ? t('Thank you. We asked Mastercard to remove it.')
                  : undefined,
            pending: pendingActivationsSection(card.id, pending, lang),
            open: opened ? { tokenId: opened, panel: resume ? 'resume' : 'confirm' } : undefined,
            problem,
            hasPasskey: await hasPasskey(cardholderId),
            identityProvider: options.identityProvider === true,
            lang,
          }),
        );
      },
    );

    app.get(
      '/app/security',
      {
        schema: {
          ...hide,
          querystring: Type.Object({
            problem: Problem.properties.problem,
            done: Type.Optional(Type.Union([Type.Literal('added'), Type.Literal('removed')])),
          }),
        },
        onRequest: guards.requireCardholder,
      },
      async (request, reply) => {
        const passkeys = (await options.passkeys?.list(cardholderOf(request))) ?? [];
        const { done, problem } = request.query;
        const lang = await languageOf(request);
        const t = translator(lang);
        const flash = html`<p id="flash" class="flash" role="status" tabindex="-1"${done ? '' : html` hidden`}>${done === 'added' ? t('Passkey added. You can now confirm with it.') : done === 'removed' ? t('Passkey removed. It can no longer confirm it is you.') : ''}</p>`;
        return sendPage(
          reply,
          { title: 'Security', page: 'security', signedIn: true, lang },
          html`<h1>${t('Security')}</h1>
${flash}
${problemBox(problem, lang, options.identityProvider ? 'idp' : undefined)}
${
  options.identityProvider
    ? html`<section class="panel" aria-labelledby="confirm-title"><h2 id="confirm-title">${t('How you confirm it is you')}</h2>
<p>${t('You confirm it is you at your bank’s sign-in, as when you sign in. Your bank manages how you do that (a code, a passkey, its app): change it there.')}</p></section>
${
  // Passkeys registered here before the bank's sign-in took over confirm nothing now; they can still go.
  passkeys.length === 0
    ? ''
    : html`<section class="panel" aria-labelledby="passkeys-title"><h2 id="passkeys-title">${t('Passkeys from before')}</h2>
<p>${t('These passkeys were set up here before you signed in with your bank. They no longer confirm anything; you can remove them.')}</p>
<ul class="passkeys plain">${passkeys.map((p, i) => passkeyItem(p, i + 1, lang, true))}</ul></section>`
}`
    : html`<section class="panel" aria-labelledby="passkeys-title"><h2 id="passkeys-title">${t('Your passkeys')}</h2>
${
  passkeys.length === 0
    ? html`<p>${t('You have no passkey yet.')}</p>`
    : html`<ul class="passkeys plain">${passkeys.map((p, i) => passkeyItem(p, i + 1, lang, false))}</ul>`
}
</section>
<form id="passkey-register" class="panel" method="post" action="/app/security/passkeys" novalidate>
<h2>${t('Add a passkey')}</h2>
<p>${t('A passkey lets you confirm pushes with this device’s screen lock instead of a one-time code. First confirm it is you with a code.')}</p>
<label for="code">${t('One-time code')}</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
<div id="progress" class="progress" role="status" aria-live="polite"></div>
<button type="submit" class="btn">${t('Add a passkey')}</button>
</form>`
}`,
        );
      },
    );

    // A mistyped or stale page address answers a page, not the API's JSON.
    app.get('/app/*', { schema: hide }, async (request, reply) => {
      const lang = await languageOf(request);
      const t = translator(lang);
      return sendPage(
        reply,
        { title: 'Page not found', page: 'error', signedIn: request.cardholder !== undefined, lang },
        html`<h1>${t('We could not find that page')}</h1>
<p class="refusal" data-code="NOT_FOUND">${t('This page does not exist.')}</p>
<p><a class="btn" href="/app/cards">${t('Back to your cards')}</a></p>`,
        404,
      );
    });

    app.get('/ops', { schema: hide }, async (_request, reply) =>
      sendPage(
        reply,
        {
          title: 'Operations',
          page: 'ops',
          assets: { scripts: ['/assets/uplot.js'], styles: ['/assets/uplot.css'] },
        },
        opsPage(),
      ),
    );
  };
}
