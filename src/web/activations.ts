import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { PushprovError } from '../core/errors.js';
import { html, type SafeHtml } from '../core/html.js';
import { type AuthGuards, assertSameOrigin, cardholderOf } from '../http/auth/guards.js';
import type { Auth } from '../service/auth/index.js';
import type { Activations, PendingActivation } from '../service/tokens/activations.js';
import { type Lang, LOCALES, translator } from './i18n.js';
import { savedCardsPath } from './saved-cards.js';
import { timeTag } from './time.js';

/**
 * "Was this you?": a request to save the card that Mastercard keeps on hold
 * until the cardholder confirms it (the bank answered MDES's Authorize
 * Service with REQUIRE_ADDITIONAL_AUTHENTICATION). Shown on the card's
 * "where it is saved" page; each answer is a plain form POST answered with
 * a redirect, so it works without script. Confirming needs the one-time
 * code of the cardholder's authenticator (a fresh strong authentication)
 * or the activation code the bank sent at Mastercard's request.
 */

/** The section of the saved-cards page; empty when nothing waits. */
export function pendingActivationsSection(
  cardId: string,
  pending: readonly (PendingActivation & { tokenRequestorName: string })[],
  lang: Lang = 'en',
): SafeHtml {
  if (pending.length === 0) return html``;
  const t = translator(lang);
  const items = pending.map((p, i) => {
    const action = activationPath(cardId, p.tokenUniqueReference);
    const where = p.tokenRequestorName;
    return html`<li class="panel pending-activation" data-token-unique-reference="${p.tokenUniqueReference}">
<h3>${t('{where} asked to save this card on {when}', { where, when: timeTag(p.requestedAt, 'date', LOCALES[lang]) })}</h3>
<p>${t('Mastercard holds it until you confirm it was you. If it was not you, say so and it is removed.')}</p>
<form method="post" action="${action}/confirm" class="stack">
<label for="totp-${i}">${t('One-time code from your authenticator app')}</label>
<input id="totp-${i}" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6">
${
  p.codeSentTo
    ? html`<p class="muted">${t('Or enter the code we sent to {to}:', { to: p.codeSentTo })}</p>
<label for="activation-${i}">${t('Code we sent you')}</label>
<input id="activation-${i}" name="activationCode" inputmode="numeric" autocomplete="one-time-code" maxlength="32">`
    : ''
}
<button type="submit" class="btn">${t('Yes, it was me')}</button>
</form>
<form method="post" action="${action}/reject">
<button type="submit" class="secondary danger">${t('No, it was not me')}</button>
</form></li>`;
  });
  return html`<section aria-labelledby="pending-title"><h2 id="pending-title">${t('Waiting for you to confirm')}</h2>
<ul class="pending">${items}</ul></section>`;
}

const activationPath = (cardId: string, tokenUniqueReference: string) =>
  `/app/cards/${encodeURIComponent(cardId)}/activations/${encodeURIComponent(tokenUniqueReference)}`;

export interface ActivationFormsOptions {
  activations: Pick<Activations, 'confirm' | 'reject'>;
  auth: Pick<Auth, 'totp' | 'grants' | 'issuerPublicUrl'>;
  guards: Pick<AuthGuards, 'requireCardholder'>;
}

/** The two forms' handlers (the form body parser is registered by webForms). */
export function activationForms({ activations, auth, guards }: ActivationFormsOptions): FastifyPluginAsync {
  const origin = new URL(auth.issuerPublicUrl).origin;
  const params = Type.Object({
    cardId: Type.String({ pattern: '^crd_[a-z0-9]{8,40}$' }),
    tokenUniqueReference: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
  });
  const field = (request: FastifyRequest, name: string): string => {
    const value = (request.body as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' ? value.trim() : '';
  };
  const back = (reply: FastifyReply, cardId: string, outcome: string) =>
    reply.redirect(`${savedCardsPath(cardId)}?${outcome}`, 303);

  return async (app) => {
    app.post<{ Params: { cardId: string; tokenUniqueReference: string } }>(
      '/app/cards/:cardId/activations/:tokenUniqueReference/confirm',
      { onRequest: guards.requireCardholder, schema: { hide: true, params } },
      async (request, reply) => {
        assertSameOrigin(request, origin);
        const principal = cardholderOf(request);
        const { cardId, tokenUniqueReference } = request.params;
        try {
          const activationCode = field(request, 'activationCode');
          if (activationCode !== '') {
            await activations.confirm(principal.cardholderId, cardId, tokenUniqueReference, {
              kind: 'code',
              code: activationCode,
            });
          } else {
            const grant = await auth.totp.verify(principal, field(request, 'code'));
            await auth.grants.check(grant.token, principal);
            await activations.confirm(principal.cardholderId, cardId, tokenUniqueReference, { kind: 'sca' });
          }
          return back(reply, cardId, 'activation=requested');
        } catch (error) {
          if (!(error instanceof PushprovError)) throw error;
          return back(reply, cardId, `problem=${encodeURIComponent(error.code)}`);
        }
      },
    );

    app.post<{ Params: { cardId: string; tokenUniqueReference: string } }>(
      '/app/cards/:cardId/activations/:tokenUniqueReference/reject',
      { onRequest: guards.requireCardholder, schema: { hide: true, params } },
      async (request, reply) => {
        assertSameOrigin(request, origin);
        const { cardId, tokenUniqueReference } = request.params;
        try {
          await activations.reject(cardholderOf(request).cardholderId, cardId, tokenUniqueReference);
          return back(reply, cardId, 'activation=rejected');
        } catch (error) {
          if (!(error instanceof PushprovError)) throw error;
          return back(reply, cardId, `problem=${encodeURIComponent(error.code)}`);
        }
      },
    );
  };
}
