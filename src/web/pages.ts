import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import { AuthError, PushprovError } from '../core/errors.js';
import { escapeHtml as e } from '../core/html.js';
import { isFinal } from '../domain/provisioning.js';
import { type AuthGuards, cardholderOf } from '../http/auth/guards.js';
import { DEMO_FIXTURE_PATH, type DemoCredential, type DemoFixture } from '../service/auth/demo.js';
import type { ProvisioningService } from '../service/provisioning.js';
import type { PendingActivation } from '../service/tokens/activations.js';
import type { SavedCards } from '../service/tokens/saved-cards.js';
import { pendingActivationsSection } from './activations.js';
import { staticAssets } from './assets.js';
import { sendPage } from './layout.js';
import { CONFIRMING_LABEL, messageFor, STATE_LABELS } from './messages.js';
import { safeNext } from './next.js';
import { opsPage } from './ops.js';
import { savedCardsBody, savedCardsPath } from './saved-cards.js';

/**
 * The bank's reference pages: sign-in, the card list with "Add to Click to
 * Pay", destinations, consent with step-up, the result, where each card is
 * saved (with pause, resume and remove), passkey set-up, and the ops dashboard. Pages are rendered from the same services the API
 * uses; the browser script only signs in, steps up, pushes and polls, all
 * through the JSON API, so every business rule lives in the services.
 */
export interface WebPagesOptions {
  provisioning: ProvisioningService;
  savedCards: Pick<SavedCards, 'list'>;
  /** Requests to save a card that wait for the cardholder to confirm it was them; none shown without it. */
  activations?: {
    pending(cardholderId: string, cardId: string): Promise<PendingActivation[]>;
    /** The name the cardholder knows a token requestor by. */
    nameOf(tokenRequestorId: string): Promise<string>;
  };
  guards: Pick<AuthGuards, 'requireCardholder'>;
  /** Which step-up methods a cardholder has (a passkey is offered only to one who registered it). */
  factors?: { status(cardholderId: string): Promise<{ totp: boolean; passkeys: number }> };
  clickToPayTokenRequestorId: string;
  /** Simulator mode: list the demo cardholders and their TOTP secrets on the sign-in page. */
  demo: boolean;
  links: { simulatorUrl: string; merchantUrl: string };
}

export const resultPage = (provisioningId: string): string => `/app/provisionings/${provisioningId}`;

const Id = (prefix: string) => Type.String({ pattern: `^${prefix}_[a-z0-9]{8,40}$`, maxLength: 48 });
/** A form's refusal, brought back by its POST handler (src/web/forms.ts) as a code. */
const Problem = Type.Object({ problem: Type.Optional(Type.String({ pattern: '^[A-Z_]{3,64}$' })) });
const SignInQuery = Type.Object({
  problem: Type.Optional(Type.String({ pattern: '^[A-Z_]{3,64}$' })),
  next: Type.Optional(Type.String({ maxLength: 256 })),
});

/** The form's error box: the refusal worded for people when a no-script POST came back with one, else hidden for app.js. */
const problemBox = (code: string | undefined): string =>
  code === undefined
    ? '<div id="error" class="error" role="alert" hidden></div>'
    : `<div id="error" class="error" role="alert" data-code="${e(code)}">${e(messageFor(code))}</div>`;
const hide = { hide: true };
const month = (m: number, y: number) => `${String(m).padStart(2, '0')}/${String(y).slice(-2)}`;

async function demoCredentials(): Promise<DemoCredential[]> {
  const fixture = JSON.parse(await readFile(DEMO_FIXTURE_PATH, 'utf8')) as DemoFixture;
  return fixture.cardholders.flatMap((c) => (c.demo ? [c.demo] : []));
}

export function webPages(options: WebPagesOptions): FastifyPluginAsync {
  const { provisioning, guards } = options;
  return async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const demoUsers = options.demo ? await demoCredentials() : [];
    await app.register(staticAssets);

    // Pages answer with pages: no session → the sign-in page; a refusal → its message.
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof AuthError) {
        // Back where they were going once signed in (a page of ours only).
        const next = request.method === 'GET' ? safeNext(request.url) : undefined;
        return reply.redirect(next ? `/app/signin?next=${encodeURIComponent(next)}` : '/app/signin', 303);
      }
      const known = error instanceof PushprovError;
      const status = error.validation ? 404 : known ? error.status : 500;
      if (status >= 500) request.log.error({ err: error }, 'page failed');
      const code = error.validation ? 'NOT_FOUND' : known ? error.code : 'UNEXPECTED';
      return sendPage(
        reply,
        { title: 'Something stopped us', page: 'error', signedIn: request.cardholder !== undefined },
        `<h1>We could not do that</h1>
<p class="refusal" data-code="${e(code)}">${e(messageFor(code, status === 404 ? 'This page does not exist.' : undefined))}</p>
<p><a class="btn" href="/app/cards">Back to your cards</a></p>`,
        status,
      );
    });

    app.get('/', { schema: hide }, async (_request, reply) =>
      sendPage(
        reply,
        { title: 'Welcome', page: 'home' },
        `<h1>pushprov</h1>
<p>Issuer push provisioning to Mastercard Click to Pay and Secure Card on File.</p>
<ul class="links">
<li><a href="/app/signin">Sign in to the bank</a> (demo cardholders)</li>
<li><a href="/ops">Ops dashboard</a></li>
<li><a href="/docs">API reference (OpenAPI)</a></li>
<li><a href="/readyz">Readiness</a> · <a href="/metrics">Metrics</a></li>
<li><a href="${e(options.links.simulatorUrl)}/">Mastercard simulator</a></li>
<li><a href="${e(options.links.merchantUrl)}/">Demo merchant</a></li>
</ul>`,
      ),
    );

    app.get('/app', { schema: hide }, async (_request, reply) => reply.redirect('/app/cards', 303));

    app.get('/app/signin', { schema: { ...hide, querystring: SignInQuery } }, async (request, reply) => {
      const next = safeNext(request.query.next);
      const demo =
        demoUsers.length === 0
          ? ''
          : `<section class="demo" aria-labelledby="demo-title">
<h2 id="demo-title"><span class="tag">demo</span> Demo cardholders (simulator mode only)</h2>
<p>These sign-ins exist only in simulator mode. Add a TOTP secret to any authenticator app to get one-time codes.</p>
<div class="scroll"><table><caption class="sr-only">Demo cardholders</caption>
<thead><tr><th scope="col">Username</th><th scope="col">Password</th><th scope="col">TOTP secret</th><th scope="col"></th></tr></thead>
<tbody>${demoUsers
              .map(
                (u) =>
                  `<tr><td>${e(u.username)}</td><td><code>${e(u.password)}</code></td><td><code>${e(u.totpSecret)}</code></td>
<td><button type="button" class="secondary small" data-action="fill" data-username="${e(u.username)}" data-password="${e(u.password)}">Use<span class="sr-only"> ${e(u.username)}</span></button></td></tr>`,
              )
              .join('')}</tbody></table></div></section>`;
      return sendPage(
        reply,
        { title: 'Sign in', page: 'signin' },
        `<h1>Sign in</h1>
<form id="signin" class="panel" method="post" action="/app/signin" novalidate>
${problemBox(request.query.problem)}
${next ? `<input type="hidden" name="next" value="${e(next)}">` : ''}
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" class="btn">Sign in</button>
</form>
${demo}`,
      );
    });

    app.get('/app/cards', { schema: hide, onRequest: guards.requireCardholder }, async (request, reply) => {
      const cards = await provisioning.cards(cardholderOf(request).cardholderId);
      const c2p = options.clickToPayTokenRequestorId;
      const items = cards.map((card) => {
        const name = `${card.productName} ending in ${card.lastFour}`;
        const actions = card.eligible
          ? `${
              card.inClickToPay
                ? `<p class="added" data-added="click-to-pay">✓ Added to Click to Pay · <a href="${e(savedCardsPath(card.id))}" aria-label="Manage ${e(name)} in Click to Pay">Manage</a></p>`
                : card.clickToPay
                  ? `<div class="banner"><p>Check out faster online: add this card to Click to Pay, as you would to a phone wallet.</p>
<a class="btn" href="/app/cards/${e(card.id)}/destinations/${e(c2p)}/consent" aria-label="Add ${e(name)} to Click to Pay">Add to Click to Pay</a></div>`
                  : ''
            }<a class="btn secondary" href="/app/cards/${e(card.id)}/destinations" aria-label="Choose where to add ${e(name)}">Add to a merchant or wallet</a>`
          : `<p class="refusal" data-code="${e(card.refusal?.code ?? '')}">${e(messageFor(card.refusal?.code))}</p>`;
        return `<li class="card-item">
<div class="card-art" aria-hidden="true"><span>${e(card.productName)}</span><span class="num">•••• ${e(card.lastFour)}</span></div>
<div><h2>${e(card.productName)} <span class="muted">•••• ${e(card.lastFour)}</span></h2>
<p class="muted">Expires ${month(card.expiryMonth, card.expiryYear)} · ${e(card.country)} · ${e(card.status)}</p>
${actions}
<p><a href="${e(savedCardsPath(card.id))}" aria-label="Where ${e(name)} is saved">Where this card is saved</a></p></div></li>`;
      });
      return sendPage(
        reply,
        { title: 'Your cards', page: 'cards', signedIn: true },
        `<h1>Your cards</h1>
${cards.length === 0 ? '<p>You have no cards.</p>' : `<ul class="cards">${items.join('')}</ul>`}
<p><a href="/app/provisionings">Cards you added</a></p>`,
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
        const logo = (d: (typeof destinations)[number]) =>
          d.logoAssetId
            ? `<img src="/v1/assets/${e(d.logoAssetId)}" alt="" width="48" height="48">`
            : '<span class="logo-blank" aria-hidden="true"></span>';
        const list = destinations.map((d) =>
          // Already in Click to Pay: nothing to add again, the card is managed where it is saved.
          d.alreadyAdded && d.kind === 'click_to_pay'
            ? `<li><a class="destination added" href="${e(savedCardsPath(card.id))}">
${logo(d)}
<span><strong>${e(d.name)}</strong><span class="muted">Already added · manage it</span></span></a></li>`
            : `<li><a class="destination" href="/app/cards/${e(card.id)}/destinations/${e(d.tokenRequestorId)}/consent">
${logo(d)}
<span><strong>${e(d.name)}</strong><span class="muted">${d.alreadyAdded ? 'Already saved here · save again' : d.kind === 'click_to_pay' ? 'Pay online without typing your card' : 'Save your card at this merchant'}</span></span></a></li>`,
        );
        return sendPage(
          reply,
          { title: 'Choose where to add your card', page: 'destinations', signedIn: true },
          `<h1>Where should we add your ${e(card.productName)} •••• ${e(card.lastFour)}?</h1>
${refusal ? `<p class="refusal" data-code="${e(refusal.code)}">${e(messageFor(refusal.code))}</p>` : ''}
${list.length > 0 ? `<ul class="destinations">${list.join('')}</ul>` : refusal ? '' : '<p>No destination accepts this card yet.</p>'}
<p><a href="/app/cards">Back to your cards</a></p>`,
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
        const { card, destination, shared } = await provisioning.consent(
          cardholderId,
          request.params.cardId,
          request.params.tokenRequestorId,
        );
        const hasPasskey = ((await options.factors?.status(cardholderId))?.passkeys ?? 1) > 0;
        const rows = [
          `<dt>Card</dt><dd>${e(card.productName)} •••• ${e(card.lastFour)}, expires ${month(card.expiryMonth, card.expiryYear)}</dd>`,
          ...shared.map((s) => `<dt>${e(s.label)}</dt><dd>${e(s.value)}</dd>`),
        ];
        return sendPage(
          reply,
          {
            title: `Add to ${destination.name}`,
            page: 'consent',
            signedIn: true,
            data: { 'card-id': card.id, trid: destination.tokenRequestorId },
          },
          `<h1>Add your card to ${e(destination.name)}</h1>
<form id="push" class="panel" method="post" action="/app/cards/${e(card.id)}/destinations/${e(destination.tokenRequestorId)}/consent" novalidate>
<input type="hidden" name="idempotencyKey" value="${e(randomUUID())}">
<h2>What ${e(destination.name)} will receive</h2>
<dl class="shared">${rows.join('')}</dl>
<p class="muted">Details are shown masked; ${e(destination.name)} receives them from Mastercard, not your card number.</p>
<div class="check"><input type="checkbox" id="consent" name="consent" required aria-describedby="consent-help">
<label for="consent">I agree to share this card and the details above with ${e(destination.name)}.</label></div>
<p id="consent-help" class="muted">You can remove the card from ${e(destination.name)} at any time.</p>
<fieldset><legend>Confirm it is you</legend>
<div class="check"><input type="radio" id="method-code" name="method" value="code" checked><label for="method-code">One-time code from my authenticator app</label></div>
${
  hasPasskey
    ? '<div class="check"><input type="radio" id="method-passkey" name="method" value="passkey"><label for="method-passkey">Passkey on this device</label></div>'
    : '<p class="muted">No passkey yet: <a href="/app/security">add one under Security</a> to confirm with this device next time.</p>'
}
<div id="code-field"><label for="code">One-time code</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6"></div>
</fieldset>
${problemBox(request.query.problem)}
<div id="progress" class="progress" role="status" aria-live="polite"></div>
<button type="submit" class="btn">Add to ${e(destination.name)}</button>
<a class="btn secondary" href="/app/cards">Cancel</a>
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
        // Which card each push took: the cardholder has several.
        const cardNames = new Map<string, string>();
        const names = new Map<string, string>();
        for (const p of list) {
          const named = [];
          for (const { cardId } of p.cards) {
            if (!cardNames.has(cardId)) {
              const c = await provisioning.card(cardholderId, cardId).catch(() => undefined);
              cardNames.set(cardId, c ? `${c.productName} •••• ${c.lastFour}` : 'a card');
            }
            named.push(cardNames.get(cardId));
          }
          names.set(p.id, named.join(', '));
        }
        return sendPage(
          reply,
          { title: 'Cards you added', page: 'provisionings', signedIn: true },
          `<h1>Cards you added</h1>
${
  list.length === 0
    ? '<p>Nothing yet.</p>'
    : `<ul class="plain">${list
        .map(
          (p) =>
            `<li><a href="${e(resultPage(p.id))}">${e(p.tokenRequestor.name)}</a> · ${e(names.get(p.id) ?? '')} · ${e(STATE_LABELS[p.state] ?? p.state)} <span class="muted">${e(p.createdAt.slice(0, 16).replace('T', ' '))} UTC</span></li>`,
        )
        .join('')}</ul>`
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
        const final = isFinal(view.state);
        const cards = await Promise.all(view.cards.map((c) => provisioning.card(cardholderId, c.cardId)));
        const cardNames = cards.map(
          (c) =>
            `<li>${e(c.productName)} •••• ${e(c.lastFour)}${
              view.state === 'completed'
                ? ` · <a href="${e(savedCardsPath(c.id))}">Where this card is saved</a>`
                : ''
            }</li>`,
        );
        const name = view.tokenRequestor.name;
        const next = view.redirectUrl
          ? `<p><a class="btn" href="${e(view.redirectUrl)}">Continue to ${e(name)}</a></p>`
          : '';
        // Back from the token requestor, its word taken down, MDES not heard from yet.
        const confirming =
          view.state === 'receipt_issued' && view.cards.some((c) => c.reportedResult !== null);
        // Each reason once: a card's error repeating the push's own is not said twice.
        const cardErrors = [
          ...new Set(view.cards.map((c) => c.errorCode).filter((code) => code && code !== view.error?.code)),
        ].map((code) => `<li data-code="${e(code ?? '')}">${e(messageFor(code))}</li>`);
        // A cancel is the cardholder's choice, not a failure: said plainly, with the way to try again.
        const cancelled =
          view.state === 'failed' && view.cards.every((c) => c.errorCode === 'CARDHOLDER_CANCELLED');
        const stateLabel = cancelled
          ? 'You chose not to add it this time.'
          : (STATE_LABELS[view.state] ?? view.state);
        const retry =
          cancelled && cards[0]
            ? `<p><a class="btn" href="/app/cards/${e(cards[0].id)}/destinations/${e(view.tokenRequestor.id)}/consent">Try again</a></p>`
            : '';
        return sendPage(
          reply,
          {
            title: final ? 'Result' : 'In progress',
            page: 'result',
            signedIn: true,
            data: { 'provisioning-id': view.id, state: view.state, final: String(final) },
          },
          `<h1>${e(name)}</h1>
${cardNames.length > 0 ? `<ul class="plain result-cards" aria-label="${cards.length > 1 ? 'Cards' : 'Card'}">${cardNames.join('')}</ul>` : ''}
<div class="panel result ${e(cancelled ? 'cancelled' : view.state)}">
<p id="state" role="status" aria-live="polite" data-state="${e(view.state)}">${final ? '' : '<span class="spinner" aria-hidden="true"></span>'}${e(confirming ? CONFIRMING_LABEL : stateLabel)}</p>
${problem ? `<p class="refusal" data-code="${e(problem)}">${e(messageFor(problem))}</p>` : ''}
${view.error ? `<p class="${cancelled ? 'note' : 'refusal'}" data-code="${e(view.error.code)}">${e(messageFor(view.error.code))}</p>` : ''}
${cardErrors.length > 0 ? `<ul>${cardErrors.join('')}</ul>` : ''}
${next}${retry}
</div>
<p><a href="/app/cards">Back to your cards</a></p>`,
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
            activation: Type.Optional(Type.Union([Type.Literal('requested'), Type.Literal('rejected')])),
            ...Problem.properties,
          }),
        },
        onRequest: guards.requireCardholder,
      },
      async (request, reply) => {
        const { cardholderId } = cardholderOf(request);
        const card = await provisioning.card(cardholderId, request.params.cardId);
        const tokens = await options.savedCards.list(cardholderId, card.id);
        const changed = tokens.find((t) => t.id === request.query.changed);
        const { activations } = options;
        const pending = activations
          ? await Promise.all(
              (await activations.pending(cardholderId, card.id)).map(async (p) => ({
                ...p,
                tokenRequestorName: await activations.nameOf(p.tokenRequestorId),
              })),
            )
          : [];
        const { activation, problem } = request.query;
        const notice = problem
          ? `<p class="error" role="alert">${e(messageFor(problem))}</p>`
          : activation
            ? `<p class="flash" role="status">${activation === 'requested' ? 'Thank you. Mastercard is activating your card there; it shows below once it is done.' : 'Thank you. We asked Mastercard to remove it.'}</p>`
            : '';
        return sendPage(
          reply,
          { title: 'Where your card is saved', page: 'saved', signedIn: true, data: { 'card-id': card.id } },
          `${notice}${pendingActivationsSection(card.id, pending)}${savedCardsBody(card, tokens, changed)}`,
        );
      },
    );

    app.get('/app/security', { schema: hide, onRequest: guards.requireCardholder }, async (_request, reply) =>
      sendPage(
        reply,
        { title: 'Security', page: 'security', signedIn: true },
        `<h1>Security</h1>
<form id="passkey-register" class="panel" novalidate>
<h2>Add a passkey</h2>
<p>A passkey lets you confirm pushes with this device's screen lock instead of a one-time code. First confirm it is you with a code.</p>
<label for="code">One-time code</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
<div id="error" class="error" role="alert" hidden></div>
<div id="progress" class="progress" role="status" aria-live="polite"></div>
<button type="submit" class="btn">Add a passkey</button>
</form>`,
      ),
    );

    // A mistyped or stale page address answers a page, not the API's JSON.
    app.get('/app/*', { schema: hide }, async (request, reply) =>
      sendPage(
        reply,
        { title: 'Page not found', page: 'error', signedIn: request.cardholder !== undefined },
        `<h1>We could not find that page</h1>
<p class="refusal" data-code="NOT_FOUND">${e(messageFor('NOT_FOUND', 'This page does not exist.'))}</p>
<p><a class="btn" href="/app/cards">Back to your cards</a></p>`,
        404,
      ),
    );

    app.get('/ops', { schema: hide }, async (_request, reply) =>
      sendPage(reply, { title: 'Operations', page: 'ops' }, opsPage()),
    );
  };
}
